//! Text for the page: HTML escaping, and numbers, byte counts and times written for people.

use std::fmt::Write;

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for element content and
/// quoted attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `n` with thin groups of three digits: `1 234 567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A byte count in decimal units, three digits: `950 B`, `12.3 kB`, `4.56 MB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.5 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let decimals = match value {
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{value:.decimals$} {}", UNITS[unit])
}

/// A short axis number: `950`, `12k`, `4.5M`.
pub fn short(n: f64) -> String {
    let (value, suffix) = if n >= 1e9 {
        (n / 1e9, "G")
    } else if n >= 1e6 {
        (n / 1e6, "M")
    } else if n >= 1e3 {
        (n / 1e3, "k")
    } else {
        (n, "")
    };
    if value >= 10.0 || value.fract() == 0.0 {
        format!("{value:.0}{suffix}")
    } else {
        format!("{value:.1}{suffix}")
    }
}

/// A duration in seconds for people: `0.008 s`, `42.5 s`, `1 h 02 min 05 s`.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "?".into();
    }
    if s < 60.0 {
        return if s < 1.0 {
            format!("{s:.3} s")
        } else {
            format!("{s:.1} s")
        };
    }
    let whole = s.round() as u64;
    let (h, m, sec) = (whole / 3600, whole / 60 % 60, whole % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h} h {m:02} min {sec:02} s");
    } else {
        let _ = write!(out, "{m} min {sec:02} s");
    }
    out
}

/// A time in nanoseconds since the Unix epoch as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc(ns: u64) -> String {
    let (y, mo, d, h, mi, s) = plugin_api::civil(ns / 1_000_000_000);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape(r#"<img src=x onerror='a&b'>"#),
            "&lt;img src=x onerror=&#39;a&amp;b&#39;&gt;"
        );
        assert_eq!(escape("eth0 \"x\""), "eth0 &quot;x&quot;");
    }

    #[test]
    fn numbers_bytes_and_times_read_well() {
        let cases = [
            (thousands(0), "0"),
            (thousands(999), "999"),
            (thousands(1_234_567), "1\u{202f}234\u{202f}567"),
            (bytes(999), "999 B"),
            (bytes(577_938), "578 kB"),
            (bytes(4_560_000), "4.56 MB"),
            (bytes(u64::MAX), "18.4 EB"),
            (short(0.0), "0"),
            (short(1500.0), "1.5k"),
            (short(25_000_000.0), "25M"),
            (seconds(0.0082), "0.008 s"),
            (seconds(3725.0), "1 h 02 min 05 s"),
            (seconds(f64::NAN), "?"),
            (utc(0), "1970-01-01 00:00:00 UTC"),
            (utc(1_700_000_000_000_000_000), "2023-11-14 22:13:20 UTC"),
            (utc(951_782_400 * 1_000_000_000), "2000-02-29 00:00:00 UTC"),
            // The end of the clock does not overflow.
            (utc(u64::MAX), "2554-07-21 23:34:33 UTC"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
