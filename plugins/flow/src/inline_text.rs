//! Short ASCII texts kept inline, without an allocation: a record's uid, history and Community ID.

use std::fmt;
use std::ops::Deref;

/// At most `N` bytes of ASCII text (`N` < 256), stored in place.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InlineText<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineText<N> {
    /// The empty text.
    pub const fn new() -> Self {
        InlineText {
            len: 0,
            bytes: [0; N],
        }
    }

    /// The first `N` bytes of `text`.
    pub fn from_bytes(text: &[u8]) -> Self {
        let mut t = Self::new();
        let len = text.len().min(N);
        t.bytes[..len].copy_from_slice(&text[..len]);
        t.len = len as u8;
        t
    }

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the text is empty (without looking at it as a `str`).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The text ("" if it is not UTF-8, which its makers never give).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl<const N: usize> From<&str> for InlineText<N> {
    /// The first `N` bytes of `text` (whole characters: ASCII).
    fn from(text: &str) -> Self {
        Self::from_bytes(text.as_bytes())
    }
}

impl<const N: usize> Default for InlineText<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Deref for InlineText<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> fmt::Debug for InlineText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for InlineText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> PartialEq<str> for InlineText<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for InlineText<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_fits_and_reads_as_text() {
        let t = InlineText::<4>::from_bytes(b"ShAD");
        assert_eq!(t, "ShAD");
        assert_eq!(t.len(), 4);
        assert_eq!(format!("{t} {t:?}"), "ShAD \"ShAD\"");
        assert_eq!(InlineText::<4>::from_bytes(b"ShADad"), "ShAD");
        assert!(InlineText::<4>::new().is_empty());
        assert_eq!(InlineText::<4>::from_bytes(&[0xff]).as_str(), "");
    }
}
