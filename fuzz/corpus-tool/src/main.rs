//! Builds the seed corpora of the fuzz targets: `netraf-fuzz-corpus ROOT PCAP_DIR OUT_DIR`.
//!
//! - `OUT_DIR/reader` and `OUT_DIR/log`: every capture file of `PCAP_DIR`, whole;
//! - `OUT_DIR/decoder`: the distinct frames of those files (at most
//!   [`FRAMES_PER_FILE`] each), each after its prefix byte ([`Prefix`]);
//! - `OUT_DIR/config`: `ROOT/configs/*.toml`, and the string literals of
//!   the Rust sources under `ROOT/tests` and `ROOT/netraf-host/src` that hold
//!   a config (`[capture]` or `[[plugin]]`).
//!
//! Files are named after their content (or the capture file's name), so a
//! second run adds nothing, and inputs that fuzzing added stay. `PCAP_DIR`
//! may be `-` for none.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mycap_core::{PacketHeader, PacketType, Session, Verdict};
use netraf_fuzz_corpus::{fnv64, Prefix};

/// The decoder's seeds take at most this many distinct frames of one file.
const FRAMES_PER_FILE: usize = 200;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, pcap, out] = args.as_slice() else {
        eprintln!("usage: netraf-fuzz-corpus ROOT PCAP_DIR|- OUT_DIR");
        return ExitCode::from(2);
    };
    match run(
        Path::new(root),
        (pcap != "-").then(|| Path::new(pcap)),
        Path::new(out),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netraf-fuzz-corpus: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(root: &Path, pcap: Option<&Path>, out: &Path) -> io::Result<()> {
    let dirs = ["reader", "log", "decoder", "config"].map(|t| out.join(t));
    for dir in &dirs {
        fs::create_dir_all(dir)?;
    }
    let [reader, log, decoder, config] = &dirs;
    let (mut files, mut frames) = (0, 0);
    if let Some(pcap) = pcap {
        for file in sorted_files(pcap)? {
            let Some(name) = file.file_name() else {
                continue;
            };
            fs::copy(&file, reader.join(name))?;
            fs::copy(&file, log.join(name))?;
            files += 1;
            frames += write_frames(&file, decoder)?;
        }
    }
    let mut configs = 0;
    for file in sorted_files(&root.join("configs"))? {
        if file.extension().is_some_and(|e| e == "toml") {
            configs += write_seed(config, &fs::read(&file)?)? as usize;
        }
    }
    for dir in [root.join("tests"), root.join("netraf-host/src")] {
        for file in rust_files(&dir)? {
            for text in string_literals(&fs::read_to_string(&file)?) {
                if text.contains("[capture]") || text.contains("[[plugin]]") {
                    configs += write_seed(config, text.as_bytes())? as usize;
                }
            }
        }
    }
    println!(
        "seed corpora in {}: reader and log {files} capture files, new seeds: decoder {frames} frames, config {configs} configs",
        out.display()
    );
    Ok(())
}

/// The regular files of `dir`, by name.
fn sorted_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// The `.rs` files under `dir`, recursively, by path.
fn rust_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The string literals of Rust source `text` (raw ones as written, others
/// with their escapes resolved), outside `//` comments.
fn string_literals(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if ["'\"'", "'\\\"'", "b'\"'"]
            .iter()
            .any(|q| rest.starts_with(q))
        {
            i += rest.find("\"'").unwrap_or(0) + 2;
        } else if let Some(body) = rest.strip_prefix("r#\"") {
            let Some(end) = body.find("\"#") else {
                break;
            };
            found.push(body[..end].to_string());
            i += 3 + end + 2;
        } else if let Some(body) = rest.strip_prefix('"') {
            let (literal, used) = unescape(body);
            found.push(literal);
            i += 1 + used;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// The value of a string literal whose body starts `body`, and how many
/// bytes of `body` it takes with its closing quote.
fn unescape(body: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (out, at + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '0')) => out.push('\0'),
                Some((_, '\n')) => while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {},
                Some((_, other)) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, body.len())
}

/// Writes `bytes` to `dir` under a name made of their hash; whether it is new.
fn write_seed(dir: &Path, bytes: &[u8]) -> io::Result<bool> {
    let path = dir.join(format!("{:016x}", fnv64(bytes)));
    if path.exists() {
        return Ok(false);
    }
    fs::write(path, bytes)?;
    Ok(true)
}

/// Writes the distinct frames of capture `file`, with their prefix byte, to
/// `dir`; returns how many. A file that cannot be read gives what it has.
fn write_frames(file: &Path, dir: &Path) -> io::Result<usize> {
    let Ok(mut session) = Session::open_file(file) else {
        return Ok(0);
    };
    let mut seen = HashSet::new();
    let mut seeds = Vec::new();
    let _ = session.run(&mut |header: &PacketHeader<'_>, data: &[u8]| {
        if let Some(byte) = Prefix::byte_for(header.link_type) {
            let pkttype = match header.pkttype {
                PacketType::Broadcast => 1,
                PacketType::Multicast => 2,
                PacketType::Outgoing => 3,
                _ => 0,
            };
            let mut seed = Vec::with_capacity(1 + data.len());
            seed.push(byte | pkttype << 5);
            seed.extend_from_slice(data);
            if seen.insert(fnv64(&seed)) {
                seeds.push(seed);
            }
        }
        if seeds.len() < FRAMES_PER_FILE {
            Verdict::Continue
        } else {
            Verdict::End
        }
    });
    let mut written = 0;
    for seed in &seeds {
        written += write_seed(dir, seed)? as usize;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_are_found_in_order() {
        let src = "let a = r#\"[capture]\nx = \"y\"\n\"#; // \"no\"\nlet b = '\"';\n\
                   let c = \"[[plugin]]\\nname = \\\"a\\\"\\n\\\n    x\";";
        assert_eq!(
            string_literals(src),
            vec!["[capture]\nx = \"y\"\n", "[[plugin]]\nname = \"a\"\nx"]
        );
    }
}
