//! pcapng timestamps: ticks of an interface's resolution (`if_tsresol`), moved by its offset (`if_tsoffset`), to nanoseconds since the epoch.

/// Converts pcapng timestamp ticks to nanoseconds since the epoch.
pub(super) fn ticks_to_ns(ticks: u64, tsresol: u8, tsoffset: i64) -> u64 {
    let exp = u32::from(tsresol & 0x7f);
    let ns: u128 = if tsresol & 0x80 == 0 {
        if exp <= 9 {
            u128::from(ticks) * 10u128.pow(9 - exp)
        } else {
            10u128
                .checked_pow(exp - 9)
                .map_or(0, |div| u128::from(ticks) / div)
        }
    } else if exp < 128 - 30 {
        (u128::from(ticks) * 1_000_000_000) >> exp
    } else {
        0
    };
    let ns = ns.min(u128::from(u64::MAX)) as u64;
    let offset_ns = tsoffset.saturating_mul(1_000_000_000);
    if offset_ns >= 0 {
        ns.saturating_add(offset_ns as u64)
    } else {
        ns.saturating_sub(offset_ns.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_resolutions() {
        assert_eq!(ticks_to_ns(5, 6, 0), 5_000);
        assert_eq!(ticks_to_ns(5, 9, 0), 5);
        assert_eq!(ticks_to_ns(5_000, 12, 0), 5);
        assert_eq!(ticks_to_ns(1 << 20, 0x80 | 20, 0), 1_000_000_000);
        assert_eq!(ticks_to_ns(0, 6, -5), 0);
        assert_eq!(ticks_to_ns(u64::MAX, 0, 0), u64::MAX);
        assert_eq!(ticks_to_ns(1, 127, 0), 0);
        assert_eq!(ticks_to_ns(1, 0xff, 0), 0);
    }
}
