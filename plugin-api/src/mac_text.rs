//! A MAC address as text, `02:00:5e:00:53:01`, the way every netraf output writes it, without allocating.

use std::fmt;

/// The 17 characters of a MAC address: lowercase hex pairs joined by colons.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacText([u8; 17]);

impl MacText {
    /// The text of `mac`.
    #[inline]
    pub fn new(mac: &[u8; 6]) -> MacText {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = *b"00:00:00:00:00:00";
        for (i, b) in mac.iter().enumerate() {
            text[3 * i] = HEX[usize::from(b >> 4)];
            text[3 * i + 1] = HEX[usize::from(b & 0xf)];
        }
        MacText(text)
    }

    /// The text as bytes, to write.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Hex digits and colons only: always ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for MacText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MacText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_is_two_lowercase_hex_digits() {
        let text = MacText::new(&[0, 0x0f, 0xa0, 0xff, 0x12, 0x9b]);
        assert_eq!(text.as_str(), "00:0f:a0:ff:12:9b");
        assert_eq!(text.to_string(), "00:0f:a0:ff:12:9b");
        assert_eq!(text.as_bytes(), b"00:0f:a0:ff:12:9b");
    }
}
