//! `-D`: the interfaces netraf can capture on, one per line as `tcpdump -D` lists them, with the index and link type.

use std::fmt::Write as _;
use std::path::Path;

use mycap_core::InterfaceInfo;

use crate::failure::Failure;

/// One line: `INDEX.NAME [Up, Running, Loopback] LINKTYPE`.
fn line(info: &InterfaceInfo) -> String {
    let mut state = Vec::new();
    if info.up {
        state.push("Up");
    }
    if info.running {
        state.push("Running");
    }
    if info.loopback {
        state.push("Loopback");
    }
    let mut out = format!(
        "{}.{} [{}]",
        info.index,
        plugin_api::escape(&info.name),
        state.join(", ")
    );
    let _ = match info.link_type.name() {
        "other" => write!(out, " hardware type {}", info.hardware_type),
        name => write!(out, " {name}"),
    };
    out
}

/// The listing of the namespace at `netns` (the caller's when `None`),
/// ending with `any`.
///
/// # Errors
/// The namespace cannot be listed.
pub(crate) fn listing(netns: Option<&Path>) -> Result<String, Failure> {
    let all = mycap_core::interfaces(netns).map_err(|e| Failure::Run(e.to_string()))?;
    let mut out = String::new();
    for info in &all {
        out.push_str(&line(info));
        out.push('\n');
    }
    out.push_str("0.any (every interface, each with its own link type) [Up, Running]\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loopback_line_reads_as_tcpdump_s() {
        let text = listing(None).unwrap();
        let lo = text
            .lines()
            .find(|l| l.contains(".lo ["))
            .expect("lo listed");
        assert!(lo.ends_with("[Up, Running, Loopback] ethernet"), "{lo}");
        assert!(text.ends_with("[Up, Running]\n"));
    }
}
