//! Opening the capture sessions the config asks for (one, or one per worker in a fanout group), and what `--check-config` can check of the source.

use std::time::Duration;

use mycap_core::{BpfInsn, CaptureConfig, Fanout, Session};

use crate::config::{Capture, Source};

/// How long the kernel keeps a partly filled ring block before handing it
/// over: a packet on a quiet link reaches the plugins within this time.
/// Longer than MYCAP's default (10 ms) so that a trickle of packets (a
/// filter keeping a tenth of a busy link) wakes the capture ten times a
/// second, not a hundred; tcpdump waits up to a second.
const BLOCK_TIMEOUT: Duration = Duration::from_millis(100);

/// MYCAP's settings for capturing on interface `name` as `capture` says.
pub(crate) fn live_config(capture: &Capture, name: &str, fanout: Option<Fanout>) -> CaptureConfig {
    let mut c = CaptureConfig::interface(name)
        .snaplen(capture.snaplen)
        .promiscuous(capture.promiscuous)
        .ring_size(capture.ring_size)
        .block_timeout(BLOCK_TIMEOUT)
        .direction(capture.direction)
        .fanout(fanout);
    if let Some(netns) = &capture.netns {
        c = c.netns(netns.clone());
    }
    c
}

/// Opens the capture; a live socket gets `filter` (the kernel program of the
/// capture filter) before it is bound, so that no packet it rejects is ever
/// captured.
pub(crate) fn open_session(
    capture: &Capture,
    fanout: Option<Fanout>,
    filter: Option<&[BpfInsn]>,
) -> Result<Session, mycap_core::Error> {
    match &capture.source {
        Source::File(path) => Session::open_file(path),
        Source::Interface(name) => {
            let mut config = live_config(capture, name, fanout);
            if let Some(program) = filter {
                config = config.filter(program.to_vec());
            }
            Session::open(&config)
        }
    }
}

/// What `--check-config` can check of the source without capturing: that
/// the interface exists in its namespace and is up, or that the file is
/// there. Without the permission to open a packet socket the interface goes
/// unchecked, with a warning.
pub(crate) fn check_source(capture: &Capture) -> Result<(), String> {
    match &capture.source {
        Source::Interface(name) => match Session::check(&live_config(capture, name, None)) {
            Err(mycap_core::Error::Permission) => {
                log::warn!(
                    "interface {name} not checked: opening a packet socket needs root or \
                     CAP_NET_RAW"
                );
                Ok(())
            }
            other => other.map_err(|e| e.to_string()),
        },
        Source::File(path) if path.as_os_str() == "-" => Ok(()),
        Source::File(path) => std::fs::metadata(path)
            .map(drop)
            .map_err(|e| format!("cannot read capture file {}: {e}", path.display())),
    }
}

/// Opens `workers` sessions: one alone, or several in a new fanout group of
/// the config's mode (the kernel picks the group id, so that no other
/// process's group is joined by mistake). Returns the group id too.
pub(crate) fn open_sessions(
    capture: &Capture,
    workers: usize,
    filter: Option<&[BpfInsn]>,
) -> Result<(Vec<Session>, Option<u16>), mycap_core::Error> {
    if workers <= 1 {
        return Ok((vec![open_session(capture, None, filter)?], None));
    }
    let first = open_session(capture, Some(Fanout::new_group(capture.fanout)), filter)?;
    let Some(group) = first.fanout_group() else {
        return Err(mycap_core::Error::InvalidConfig(
            "the first capture session joined no fanout group (is the source live?)".into(),
        ));
    };
    let mut sessions = vec![first];
    for _ in 1..workers {
        let session = open_session(capture, Some(Fanout::join(group, capture.fanout)), filter)?;
        // Two groups would give every frame to a worker of each.
        if session.fanout_group() != Some(group) {
            return Err(mycap_core::Error::InvalidConfig(format!(
                "a capture worker landed in fanout group {:?}, not in the first worker's {group}",
                session.fanout_group()
            )));
        }
        sessions.push(session);
    }
    Ok((sessions, Some(group)))
}
