//! The lexer: a filter expression cut into words, numbers, addresses and operators, each with its column.

use crate::error::FilterError;

/// One token of a filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A word (`host`, `tcp-syn`, ...); `escaped` when written `\word`.
    Word { text: String, escaped: bool },
    /// A number (decimal, `0x` hex or `0` octal).
    Num(u32),
    /// A dotted IPv4 address, possibly partial (`10.1`): its bytes.
    Ipv4(Vec<u8>),
    /// An IPv6 address.
    Ipv6([u8; 16]),
    /// A MAC address.
    Mac([u8; 6]),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `:`
    Colon,
    /// `and`, `&&`
    And,
    /// `or`, `||`
    Or,
    /// `not`, `!`
    Not,
    /// An arithmetic or relational operator: `+ - * / % & | ^ << >> = == != < <= > >=`.
    Op(&'static str),
}

/// A token and its 1-based column.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub column: usize,
}

fn parse_number(s: &str, column: usize) -> Result<u32, FilterError> {
    let bad = || FilterError::invalid(format!("bad number '{s}'"), column);
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).map_err(|_| bad())?
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).map_err(|_| bad())?
    } else {
        s.parse::<u32>().map_err(|_| bad())?
    };
    Ok(v)
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = if s.contains(':') {
        s.split(':').collect()
    } else {
        return None;
    };
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        mac[i] = u8::from_str_radix(p, 16).ok()?;
    }
    Some(mac)
}

fn parse_ipv6(s: &str) -> Option<[u8; 16]> {
    if s.matches(':').count() < 2 {
        return None;
    }
    s.parse::<std::net::Ipv6Addr>().ok().map(|a| a.octets())
}

fn parse_ipv4(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for p in s.split('.') {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 3 {
            return None;
        }
        out.push(u8::try_from(p.parse::<u32>().ok()?).ok()?);
    }
    if out.len() > 4 {
        return None;
    }
    Some(out)
}

/// Cuts `input` into tokens.
pub(crate) fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let push = |out: &mut Vec<Token>, tok| out.push(Token { tok, column });
        match two.as_str() {
            "&&" => {
                push(&mut out, Tok::And);
                i += 2;
                continue;
            }
            "||" => {
                push(&mut out, Tok::Or);
                i += 2;
                continue;
            }
            "<<" | ">>" | "==" | "!=" | "<=" | ">=" => {
                let op = match two.as_str() {
                    "<<" => "<<",
                    ">>" => ">>",
                    "==" => "=",
                    "!=" => "!=",
                    "<=" => "<=",
                    _ => ">=",
                };
                push(&mut out, Tok::Op(op));
                i += 2;
                continue;
            }
            _ => {}
        }
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ':' => Some(Tok::Colon),
            ']' => Some(Tok::RBracket),
            '!' => Some(Tok::Not),
            '+' => Some(Tok::Op("+")),
            '-' => Some(Tok::Op("-")),
            '*' => Some(Tok::Op("*")),
            '/' => Some(Tok::Op("/")),
            '%' => Some(Tok::Op("%")),
            '&' => Some(Tok::Op("&")),
            '|' => Some(Tok::Op("|")),
            '^' => Some(Tok::Op("^")),
            '=' => Some(Tok::Op("=")),
            '<' => Some(Tok::Op("<")),
            '>' => Some(Tok::Op(">")),
            _ => None,
        };
        // `::1` starts an IPv6 address, not a ':'.
        let single = if c == ':' && chars.get(i + 1) == Some(&':') {
            None
        } else {
            single
        };
        if let Some(tok) = single {
            push(&mut out, tok);
            i += 1;
            continue;
        }
        let escaped = c == '\\';
        let start = if escaped { i + 1 } else { i };
        let is_run = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | ':' | '-');
        let mut end = start;
        while end < chars.len() && is_run(chars[end]) {
            end += 1;
        }
        if end == start {
            return Err(FilterError::syntax(
                format!("a word, number or operator, not '{c}'"),
                column,
            ));
        }
        let run: String = chars[start..end].iter().collect();
        // Addresses with colons first: a MAC, then an IPv6 address.
        if run.contains(':') && !escaped {
            if let Some(mac) = parse_mac(&run) {
                push(&mut out, Tok::Mac(mac));
                i = end;
                continue;
            }
            if let Some(a) = parse_ipv6(&run) {
                push(&mut out, Tok::Ipv6(a));
                i = end;
                continue;
            }
        }
        let first = chars[start];
        if first.is_ascii_digit() && !escaped {
            // A number or a dotted IPv4 address: digits, letters (hex) and dots.
            let mut e = start;
            while e < chars.len() && (chars[e].is_ascii_alphanumeric() || chars[e] == '.') {
                e += 1;
            }
            let text: String = chars[start..e].iter().collect();
            if text.contains('.') {
                match parse_ipv4(&text) {
                    Some(a) => push(&mut out, Tok::Ipv4(a)),
                    None => {
                        return Err(FilterError::invalid(
                            format!("bad address '{text}'"),
                            column,
                        ))
                    }
                }
            } else {
                push(&mut out, Tok::Num(parse_number(&text, column)?));
            }
            i = e;
            continue;
        }
        // A word: letters, digits, '_', '.', '-'.
        let mut e = start;
        while e < chars.len()
            && (chars[e].is_ascii_alphanumeric() || matches!(chars[e], '_' | '.' | '-'))
        {
            e += 1;
        }
        if e == start {
            return Err(FilterError::syntax("a word", column));
        }
        let text: String = chars[start..e].iter().collect();
        let tok = match (escaped, text.as_str()) {
            (false, "and") => Tok::And,
            (false, "or") => Tok::Or,
            (false, "not") => Tok::Not,
            _ => Tok::Word { text, escaped },
        };
        push(&mut out, tok);
        i = e;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_addresses_and_operators() {
        assert_eq!(
            toks("0x10 010 16"),
            vec![Tok::Num(16), Tok::Num(8), Tok::Num(16)]
        );
        assert_eq!(toks("10.0.0.1/8")[0], Tok::Ipv4(vec![10, 0, 0, 1]));
        assert_eq!(toks("10.0.0.1/8")[1], Tok::Op("/"));
        assert_eq!(toks("tcp[13:1]")[2], Tok::Num(13));
        assert_eq!(toks("tcp[13:1]")[3], Tok::Colon);
        assert_eq!(toks("1:2:3:4:5:6"), vec![Tok::Mac([1, 2, 3, 4, 5, 6])]);
        assert!(matches!(toks("fe80::1")[0], Tok::Ipv6(_)));
        assert_eq!(toks("a && !b || c").len(), 6);
        assert_eq!(toks("x<<2 >= 3")[1], Tok::Op("<<"));
        assert!(matches!(&toks("tcp-syn")[0], Tok::Word { text, .. } if text == "tcp-syn"));
        assert!(matches!(&toks("\\tcp")[0], Tok::Word { escaped: true, .. }));
    }
}
