//! The capture filter: the expression from the command line, `-F` or the config, compiled for the live socket (the kernel filters) or for a capture file (the interpreter filters), and `-d`'s listing of it.

use std::path::Path;

use capture_file::{LinkType, Never, Next, Reader};
use mycap_core::CaptureConfig;
use netraf_bpf::Insn;

use crate::config::{Capture, Source};
use crate::failure::Failure;
use crate::packet_filter::PacketFilter;

/// The expression the command line gives: its words joined by spaces, or
/// the contents of `-F FILE` (`#` to the end of a line is a comment, as
/// tcpdump reads it). `None` when it gives none.
///
/// # Errors
/// `-F`'s file cannot be read.
pub(crate) fn from_command_line(
    words: &[String],
    file: Option<&Path>,
) -> Result<Option<String>, Failure> {
    let expression = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::Setup(format!(
                    "-F {}: cannot read the filter file: {e}",
                    path.display()
                ))
            })?;
            text.lines()
                .map(|line| line.split('#').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
        }
        None => words.join(" "),
    };
    let expression = expression.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok((!expression.is_empty()).then_some(expression))
}

/// The kernel program for a live capture on `live` (its interface, or every
/// link type of `any`, told apart by hardware type), or `None` without a
/// filter.
///
/// # Errors
/// The interface cannot be looked at, or the expression does not compile
/// for it (naming the word and its column).
pub(crate) fn live_program(
    capture: &Capture,
    live: &CaptureConfig,
) -> Result<Option<Vec<Insn>>, Failure> {
    let Some(expression) = &capture.filter else {
        return Ok(None);
    };
    let links = mycap_core::live_link_types(live)
        .map_err(|e| Failure::Run(format!("cannot capture from {}: {e}", capture.source)))?;
    netraf_filter::compile_live(expression, capture.snaplen, &links)
        .map(Some)
        .map_err(|e| Failure::Setup(format!("filter '{expression}': {e}")))
}

/// What `--check-config` checks of the filter of a live capture: that it
/// compiles for the interface's link types (unchecked, with a warning,
/// without the permission to look at the interface).
///
/// # Errors
/// As [`live_program`].
pub(crate) fn check_live(capture: &Capture, live: &CaptureConfig) -> Result<(), Failure> {
    let Some(expression) = &capture.filter else {
        return Ok(());
    };
    match mycap_core::live_link_types(live) {
        Err(mycap_core::Error::Permission) => {
            log::warn!(
                "filter '{expression}' not compiled for {}: needs root or CAP_NET_RAW",
                capture.source
            );
            Ok(())
        }
        Err(e) => Err(Failure::Setup(format!(
            "cannot capture from {}: {e}",
            capture.source
        ))),
        Ok(links) => netraf_filter::compile_live(expression, capture.snaplen, &links)
            .map(drop)
            .map_err(|e| Failure::Setup(format!("filter '{expression}': {e}"))),
    }
}

/// The filter run on each packet of a capture file, or `None` for a live
/// capture (its socket filters) or without a filter.
///
/// # Errors
/// The expression does not compile.
pub(crate) fn file_filter(capture: &Capture) -> Result<Option<PacketFilter>, Failure> {
    match (&capture.source, &capture.filter) {
        (Source::File(path), Some(expression)) => PacketFilter::new(
            expression,
            capture.snaplen,
            false,
            &path.display().to_string(),
        )
        .map(Some)
        .map_err(|e| Failure::Setup(format!("filter '{expression}': {e}"))),
        _ => Ok(None),
    }
}

/// The link type of a capture file's first packet (Ethernet for a file
/// without packets).
fn file_link_type(path: &Path) -> Result<LinkType, Failure> {
    let mut reader = Reader::open(path).map_err(|e| Failure::Run(e.to_string()))?;
    match reader.next(&Never) {
        Ok(Next::Packet(record, _)) => Ok(record.link_type),
        Ok(_) => Ok(LinkType::ETHERNET),
        Err(e) => Err(Failure::Run(e.to_string())),
    }
}

/// `-d`: the program that filters the capture, as `tcpdump -d` lists it
/// (for a file, the program of its first packet's link type).
///
/// # Errors
/// As [`live_program`], or the file cannot be read.
pub(crate) fn listing(capture: &Capture, live: Option<&CaptureConfig>) -> Result<String, Failure> {
    let expression = capture.filter.as_deref().unwrap_or("");
    let program = match (&capture.source, live) {
        (Source::File(path), _) => {
            let link_type = file_link_type(path)?;
            netraf_filter::compile(expression, link_type, capture.snaplen)
                .map_err(|e| Failure::Setup(format!("filter '{expression}': {e}")))?
        }
        (Source::Interface(_), Some(live)) => match live_program(capture, live)? {
            Some(program) => program,
            None => vec![Insn::ret(capture.snaplen)],
        },
        (Source::Interface(name), None) => {
            return Err(Failure::Setup(format!("no capture settings for {name}")))
        }
    };
    Ok(netraf_bpf::dump(&program))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_files_give_one_expression() {
        let words: Vec<String> = ["tcp", "port", "80"].map(String::from).to_vec();
        assert_eq!(
            from_command_line(&words, None).unwrap().as_deref(),
            Some("tcp port 80")
        );
        assert_eq!(from_command_line(&[], None).unwrap(), None);
        let dir = std::env::temp_dir().join(format!("netraf-filter-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, "# web\ntcp port 80   # http\n  or udp\n").unwrap();
        assert_eq!(
            from_command_line(&[], Some(&file)).unwrap().as_deref(),
            Some("tcp port 80 or udp")
        );
        let missing = from_command_line(&[], Some(&dir.join("none"))).unwrap_err();
        assert!(missing.message().contains("-F"), "{}", missing.message());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
