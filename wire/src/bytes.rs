//! Reads of fixed-size fields out of header bytes: big-endian integers and arrays, zero past the end (views check lengths first, so that never happens).

pub(crate) use capture_file::bytes::be16;

/// A field's byte range within its header.
pub type Field = core::ops::Range<usize>;

/// The big-endian u32 at `at` (0 past the end).
#[inline(always)]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    capture_file::bytes::u32_at(b, at, true)
}

/// The bytes of `field` as an array (zeros when they are not all there).
#[inline(always)]
pub(crate) fn array<const N: usize>(b: &[u8], field: Field) -> [u8; N] {
    let mut out = [0; N];
    if let Some(bytes) = b.get(field.start..field.start.wrapping_add(N)) {
        out.copy_from_slice(bytes);
    }
    out
}

/// The first `N` bytes of `b` as a fixed-size header and the bytes after
/// it; `None` when `b` is shorter.
#[inline(always)]
pub(crate) fn split<const N: usize>(b: &[u8]) -> Option<(&[u8; N], &[u8])> {
    b.split_first_chunk::<N>()
}

/// Declares the view `$name` of a header of `$len` bytes and the payload
/// after it: the struct, its checked constructor and `payload()`.
macro_rules! fixed_view {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name<'a> {
            header: &'a [u8; $len],
            payload: &'a [u8],
        }

        impl<'a> $name<'a> {
            /// The header at the start of `bytes`; `None` when it is not all there.
            #[inline(always)]
            pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
                let (header, payload) = $crate::bytes::split(bytes)?;
                Some($name { header, payload })
            }

            /// The bytes after the header.
            #[inline(always)]
            pub fn payload(&self) -> &'a [u8] {
                self.payload
            }
        }
    };
}
pub(crate) use fixed_view;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every prefix of `frame` through `view`: none may panic.
    pub(crate) fn every_prefix(frame: &[u8], view: impl Fn(&[u8])) {
        for end in 0..=frame.len() {
            view(&frame[..end]);
        }
    }

    #[test]
    fn fields_past_the_end_read_zero() {
        let b = [1u8, 2, 3, 4, 5];
        assert_eq!(be32(&b, 1), 0x0203_0405);
        assert_eq!(be32(&b, 2), 0);
        assert_eq!(array::<2>(&b, 3..5), [4, 5]);
        assert_eq!(array::<2>(&b, 4..6), [0, 0]);
        assert_eq!(split::<6>(&b), None);
        assert_eq!(split::<2>(&b), Some((&[1, 2], &b[2..])));
    }
}
