//! Integers read out of bytes, in a format's byte order: the byte readers of every format netraf parses (past the end they read 0, never panic).

/// The u16 at `at` in the given byte order (0 past the end: callers check lengths first).
#[inline(always)]
pub fn u16_at(b: &[u8], at: usize, big_endian: bool) -> u16 {
    let bytes = match b.get(at..at.wrapping_add(2)) {
        Some(&[x, y]) => [x, y],
        _ => return 0,
    };
    if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    }
}

/// The u32 at `at` in the given byte order (0 past the end: callers check lengths first).
#[inline(always)]
pub fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let bytes = match b.get(at..at.wrapping_add(4)) {
        Some(&[w, x, y, z]) => [w, x, y, z],
        _ => return 0,
    };
    if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    }
}

/// The big-endian (network order) u16 at `at` (0 past the end).
#[inline]
pub fn be16(b: &[u8], at: usize) -> u16 {
    u16_at(b, at, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_orders_and_zero_past_the_end() {
        let b = [1, 2, 3, 4];
        assert_eq!(u16_at(&b, 0, true), 0x0102);
        assert_eq!(u16_at(&b, 0, false), 0x0201);
        assert_eq!(u32_at(&b, 0, true), 0x0102_0304);
        assert_eq!(u32_at(&b, 0, false), 0x0403_0201);
        assert_eq!(be16(&b, 2), 0x0304);
        assert_eq!(
            (
                be16(&b, 3),
                u32_at(&b, 1, true),
                u16_at(&b, usize::MAX, true)
            ),
            (0, 0, 0)
        );
    }
}
