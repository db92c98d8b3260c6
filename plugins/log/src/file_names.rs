//! Capture file names: UTC time fields in `output`, and a number put before the extension.

use crate::format::civil;

/// Replaces `%Y %m %d %H %M %S` (UTC, from `secs`), `%s` (seconds since the
/// epoch) and `%%` in `pattern`.
///
/// # Errors
/// Any other `%` field.
pub(crate) fn expand(pattern: &str, secs: u64) -> Result<String, String> {
    let (year, month, day, hour, minute, second) = civil(secs);
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{year:04}")),
            Some('m') => out.push_str(&format!("{month:02}")),
            Some('d') => out.push_str(&format!("{day:02}")),
            Some('H') => out.push_str(&format!("{hour:02}")),
            Some('M') => out.push_str(&format!("{minute:02}")),
            Some('S') => out.push_str(&format!("{second:02}")),
            Some('s') => out.push_str(&secs.to_string()),
            Some('%') => out.push('%'),
            other => {
                return Err(format!(
                    "unknown time field %{} in output {pattern:?} \
                     (use %Y %m %d %H %M %S %s, or %% for a %)",
                    other.map_or(String::new(), String::from)
                ))
            }
        }
    }
    Ok(out)
}

/// `path` with `insert` put before the extension of its file name.
pub(crate) fn before_extension(path: &str, insert: &str) -> String {
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[name_start..].rfind('.') {
        Some(dot) if dot > 0 => {
            let at = name_start + dot;
            format!("{}{insert}{}", &path[..at], &path[at..])
        }
        _ => format!("{path}{insert}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_fields_expand_in_utc() {
        // 2000-02-29T12:34:56Z
        let secs = 951_827_696;
        assert_eq!(
            expand("/var/log/t-%Y%m%d-%H%M%S-%s.pcap%%", secs).unwrap(),
            "/var/log/t-20000229-123456-951827696.pcap%"
        );
        let err = expand("t-%q.pcap", 0).unwrap_err();
        assert!(err.contains("%q") && err.contains("%Y"), "{err}");
        assert!(expand("t-%", 0).is_err());
    }

    #[test]
    fn inserts_before_the_extension_of_the_file_name() {
        assert_eq!(before_extension("a/b.c/t.pcap", "-1"), "a/b.c/t-1.pcap");
        assert_eq!(before_extension("a.d/trace", "-1"), "a.d/trace-1");
        assert_eq!(before_extension(".hidden", "-1"), ".hidden-1");
    }
}
