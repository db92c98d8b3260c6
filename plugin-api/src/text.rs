//! Escaping of text that comes from the input (interface names, file names, messages) before netraf writes it for people.
//!
//! A capture file or a network says what an interface is called; written
//! raw, a name holding a newline forges a log line and one holding ESC
//! drives the reader's terminal. Every text line netraf writes (the log's
//! text format, reports and messages on standard error) passes such text
//! through [`escape`] or [`write_escaped`], one escaping for all:
//!
//! - a control character (U+0000–U+001F, U+007F, U+0080–U+009F) becomes
//!   `\xNN`, its code in two lowercase hex digits: a newline is `\x0a`,
//!   ESC is `\x1b`, U+009B is `\x9b`;
//! - a backslash becomes `\\`, so that `\x0a` in the output always stands
//!   for an escaped newline, never for the four characters of the input;
//! - everything else is written as it is.
//!
//! Text is UTF-8 by then (MYCAP names an interface `if<N>` when its name
//! is not UTF-8). JSON output escapes per JSON instead: see [`write_json_str`].

use std::fmt;
use std::io;

/// Whether `c` is written escaped: a C0 control, DEL or a C1 control.
pub fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}')
}

/// Whether `text` is written as it is. A byte scan: C1 controls are the
/// UTF-8 sequences C2 80–C2 9F.
fn is_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.iter().enumerate().any(|(i, &b)| {
        b < 0x20
            || b == 0x7f
            || b == b'\\'
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|&n| n < 0xa0))
    })
}

/// Hands `text` to `emit` in pieces: runs written as they are and escapes.
fn pieces<E>(text: &str, mut emit: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c != '\\' && !is_control(c) {
            continue;
        }
        emit(&text[start..i])?;
        start = i + c.len_utf8();
        if c == '\\' {
            emit("\\\\")?;
        } else {
            let code = c as usize;
            let escaped = [b'\\', b'x', HEX[code >> 4], HEX[code & 0xf]];
            // Four ASCII bytes.
            emit(std::str::from_utf8(&escaped).unwrap_or("\\x??"))?;
        }
    }
    emit(&text[start..])
}

/// `text` for a text line: shows as written by [`write_escaped`].
///
/// ```
/// let name = "eth0\n1700000000.000000 fake \x1b[31m";
/// assert_eq!(
///     plugin_api::escape(name).to_string(),
///     r"eth0\x0a1700000000.000000 fake \x1b[31m"
/// );
/// assert_eq!(plugin_api::escape(r"a\b").to_string(), r"a\\b");
/// ```
pub fn escape(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// Text that shows escaped; see [`escape`].
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_plain(self.0) {
            return f.write_str(self.0);
        }
        pieces(self.0, |piece| f.write_str(piece))
    }
}

/// Writes `text` escaped (see the module doc); without allocating, and in
/// one `write_all` when nothing needs escaping.
///
/// # Errors
/// The writer's error.
pub fn write_escaped(out: &mut impl io::Write, text: &str) -> io::Result<()> {
    if is_plain(text) {
        return out.write_all(text.as_bytes());
    }
    pieces(text, |piece| out.write_all(piece.as_bytes()))
}

/// Writes `text` as a JSON string in quotes: `"` and `\` escaped, control
/// characters as `\u00NN` (C0 as JSON requires, DEL and C1 too so that the
/// line is safe on a terminal; a JSON reader gets the text back unchanged).
///
/// # Errors
/// The writer's error.
pub fn write_json_str(out: &mut impl io::Write, text: &str) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.write_all(b"\"")?;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c != '"' && c != '\\' && !is_control(c) {
            continue;
        }
        out.write_all(&text.as_bytes()[start..i])?;
        start = i + c.len_utf8();
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            c => {
                let code = c as usize;
                out.write_all(&[b'\\', b'u', b'0', b'0', HEX[code >> 4], HEX[code & 0xf]])?;
            }
        }
    }
    out.write_all(&text.as_bytes()[start..])?;
    out.write_all(b"\"")
}

/// JSON text (as serde_json writes it) with the DEL and C1 characters it
/// leaves raw written as `\u00NN`: the same JSON value, safe on a terminal.
/// Such characters can only stand inside strings, where `\u` escapes are
/// valid; compact JSON has no raw control character outside them.
pub fn json_for_terminal(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.chars().any(is_control) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_control(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = Vec::new();
        write_escaped(&mut out, text).unwrap();
        let shown = String::from_utf8(out).unwrap();
        assert_eq!(escape(text).to_string(), shown, "Display and io agree");
        shown
    }

    #[test]
    fn controls_and_backslash_are_escaped_the_rest_kept() {
        assert_eq!(escaped("eth0"), "eth0");
        assert_eq!(escaped(""), "");
        assert_eq!(
            escaped("eth0\n1700000000.000000 fake record \x1b[31m"),
            "eth0\\x0a1700000000.000000 fake record \\x1b[31m"
        );
        assert_eq!(escaped("\0\t\r\x7f"), "\\x00\\x09\\x0d\\x7f");
        assert_eq!(escaped("a\u{9b}b\u{85}"), "a\\x9bb\\x85");
        assert_eq!(escaped("back\\x0a"), "back\\\\x0a");
        // Printable non-ASCII stays: U+00A0 and up, é, 日本.
        assert_eq!(escaped("\u{a0}é日本"), "\u{a0}é日本");
    }

    #[test]
    fn the_byte_scan_agrees_with_the_character_test() {
        for code in 0..0x800u32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let text = format!("x{c}y");
            assert_eq!(is_plain(&text), c != '\\' && !is_control(c), "U+{code:04X}");
        }
    }

    #[test]
    fn json_strings_escape_controls_and_read_back() {
        let name = "eth0\n1700000000.000000 fake \x1b[31m \"q\" \\ \u{7f}\u{9b}é";
        let mut out = Vec::new();
        write_json_str(&mut out, name).unwrap();
        assert!(out.iter().all(|&b| b >= 0x20 && b != 0x7f));
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(is_control), "{text}");
        let back: String = toml::from_str::<toml::Value>(&format!("v = {text}"))
            .unwrap()
            .get("v")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap();
        assert_eq!(back, name);
        assert_eq!(
            json_for_terminal("{\"a\":\"x\u{9b}\u{7f}\\u001b\"}"),
            "{\"a\":\"x\\u009b\\u007f\\u001b\"}"
        );
    }
}
