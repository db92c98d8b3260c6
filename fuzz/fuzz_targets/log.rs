//! Fuzz target: the log plugin's text, JSON lines, pcap and pcapng outputs; every JSON line parses, the text has one line per packet, every capture file reads back with every packet written.
//!
//! An input that starts like a capture file gives its first packets (as the
//! host would hand them over) to every format in turn; any other input is
//! read as a format, rotation settings and packets with arbitrary interface
//! names (control characters included), lengths, link types, timestamps,
//! and stripped tags, each decoded by `Packet::decode` as the host decodes it. The files go to a folder under `/dev/shm`
//! (tmpfs) that is emptied after every input.
#![no_main]

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Result as ArbitraryResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use mycap_core::{LinkType, LoopEnd, PacketHeader, PacketType, Session, StrippedVlan, Verdict};
use netraf_fuzz_corpus::LINK_TYPES;
use netraf_log::Log;
use plugin_api::{Packet, Plugin};

/// At most this many packets per input.
const MAX_PACKETS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Pcap,
    PcapCooked,
    Pcapng,
}

const FORMATS: [Format; 5] = [
    Format::Text,
    Format::Json,
    Format::Pcap,
    Format::PcapCooked,
    Format::Pcapng,
];

/// The log's settings for one input.
#[derive(Debug, Clone, Copy)]
struct Settings {
    max_bytes: u64,
    rotate_seconds: u64,
    /// `output` with UTC time fields.
    time_fields: bool,
}

/// One packet as the host hands it to a plugin.
#[derive(Debug)]
struct Pkt {
    ts_ns: u64,
    len: u32,
    ifindex: u32,
    pkttype: u8,
    ifname: String,
    data: Vec<u8>,
    vlan: Option<StrippedVlan>,
    link_type: LinkType,
}

impl Pkt {
    fn packet(&self) -> Packet<'_> {
        let header = PacketHeader {
            ts_ns: self.ts_ns,
            caplen: u32::try_from(self.data.len()).unwrap_or(u32::MAX),
            len: self.len,
            ifindex: self.ifindex,
            ifname: &self.ifname,
            pkttype: PacketType::from_sll(self.pkttype),
            link_type: self.link_type,
            vlan: self.vlan,
        };
        Packet::decode(&header, &self.data)
    }
}

/// The folder the logs go to, created once per process.
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("netraf-fuzz-log-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("the fuzz target's log folder");
        dir
    })
}

/// The packets of a capture file, as the host decodes them.
fn from_capture(data: &[u8]) -> Vec<Pkt> {
    let mut pkts = Vec::new();
    let Ok(mut session) = Session::open_reader("fuzz", Box::new(Cursor::new(data.to_vec()))) else {
        return pkts;
    };
    let _ = session.run(&mut |h: &PacketHeader<'_>, bytes: &[u8]| {
        pkts.push(Pkt {
            ts_ns: h.ts_ns,
            len: h.len,
            ifindex: h.ifindex,
            pkttype: h.pkttype.to_sll(),
            ifname: h.ifname.to_string(),
            data: bytes.to_vec(),
            vlan: h.vlan,
            link_type: h.link_type,
        });
        if pkts.len() < MAX_PACKETS {
            Verdict::Continue
        } else {
            Verdict::End
        }
    });
    pkts
}

fn arbitrary_settings(u: &mut Unstructured<'_>) -> ArbitraryResult<Settings> {
    Ok(Settings {
        max_bytes: if u.ratio(1, 4)? {
            u.int_in_range(1..=4096)?
        } else {
            0
        },
        rotate_seconds: if u.ratio(1, 4)? {
            u.int_in_range(1..=100_000)?
        } else {
            0
        },
        time_fields: u.ratio(1, 8)?,
    })
}

fn arbitrary_packet(u: &mut Unstructured<'_>) -> ArbitraryResult<Pkt> {
    let link_type = if u.ratio(7, 8)? {
        *u.choose(&LINK_TYPES)?
    } else {
        LinkType(u.arbitrary()?)
    };
    let name_len = u.int_in_range(0..=24)?;
    let ifname = String::from_utf8_lossy(u.bytes(name_len)?).into_owned();
    let ts_ns = u.arbitrary()?;
    let ifindex = u.arbitrary()?;
    let pkttype: u8 = u.int_in_range(0..=7)?;
    let vlan = if u.ratio(1, 8)? {
        Some(StrippedVlan {
            tci: u.arbitrary()?,
            tpid: *u.choose(&[0x8100, 0x88a8])?,
        })
    } else {
        None
    };
    let data_len = u.arbitrary_len::<u8>()?.min(2048);
    let data = u.bytes(data_len)?.to_vec();
    let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let len = match u.int_in_range(0..=3)? {
        0 => caplen,
        1 => caplen.saturating_add(u.int_in_range(1..=1000)?),
        2 => u.arbitrary()?,
        _ => caplen.saturating_sub(u.int_in_range(1..=64)?),
    };
    Ok(Pkt {
        ts_ns,
        len,
        ifindex,
        pkttype,
        ifname,
        data,
        vlan,
        link_type,
    })
}

fn arbitrary_input(data: &[u8]) -> ArbitraryResult<(Format, Settings, Vec<Pkt>)> {
    let mut u = Unstructured::new(data);
    let format = *u.choose(&FORMATS)?;
    let settings = arbitrary_settings(&mut u)?;
    let mut pkts = Vec::new();
    while !u.is_empty() && pkts.len() < MAX_PACKETS {
        pkts.push(arbitrary_packet(&mut u)?);
    }
    Ok((format, settings, pkts))
}

/// Logs `pkts` in `format` into the empty folder `dir`, then checks every file written.
fn log(dir: &Path, format: Format, settings: Settings, pkts: &[Pkt]) {
    let (name, kind) = match format {
        Format::Text => ("log.txt", "text"),
        Format::Json => ("log.json", "json"),
        Format::Pcap | Format::PcapCooked => ("log.pcap", "pcap"),
        Format::Pcapng => ("log.pcapng", "pcapng"),
    };
    let lines = matches!(format, Format::Text | Format::Json);
    let name = if settings.time_fields {
        format!("%Y-%m-%d_%H%M%S-{name}")
    } else {
        name.to_string()
    };
    let keep = if lines { MAX_PACKETS + 1 } else { 100_000 };
    let config = format!(
        "output = \"{}\"\nformat = \"{kind}\"\nmax_bytes = {}\nrotate_seconds = {}\nkeep = {keep}\ncooked = {}\n",
        dir.join(name).display(),
        settings.max_bytes,
        if lines { 0 } else { settings.rotate_seconds },
        format == Format::PcapCooked,
    );
    let mut plugin = match Log::new(&config) {
        Ok(plugin) => plugin,
        Err(e) => panic!("the log refuses {config:?}: {e}"),
    };
    for pkt in pkts {
        match plugin.on_packet(&pkt.packet()) {
            Ok(plugin_api::Verdict::Continue) => {}
            other => panic!("{format:?}: a packet gives {other:?}: {pkt:?}"),
        }
    }
    if let Err(e) = plugin.shutdown() {
        panic!("{format:?}: shutdown: {e}");
    }
    let report = match plugin.report() {
        Ok(report) => report,
        Err(e) => panic!("{format:?}: report: {e}"),
    };
    let report: serde_json::Value = match serde_json::from_str(&report) {
        Ok(v) => v,
        Err(e) => panic!("{format:?}: the report is not JSON ({e}): {report}"),
    };
    drop(plugin);

    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("the log folder")
        .map(|entry| entry.expect("a log file").path())
        .collect();
    files.sort();
    let mut records = 0u64;
    for file in &files {
        if lines {
            let bytes = fs::read(file).expect("a log file");
            let text = match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => panic!("{format:?}: {} is not UTF-8: {e}", file.display()),
            };
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "{format:?}: {} ends inside a line",
                file.display()
            );
            for line in text.lines() {
                records += 1;
                if format == Format::Json {
                    if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
                        panic!("{format:?}: a line is not JSON ({e}): {line:?}");
                    }
                }
            }
        } else {
            let mut session = match Session::open_file(file) {
                Ok(session) => session,
                Err(e) => panic!("{format:?}: {} does not open: {e}", file.display()),
            };
            let mut count = 0u64;
            let end = session.run(&mut |_: &PacketHeader<'_>, _: &[u8]| {
                count += 1;
                Verdict::Continue
            });
            match end {
                Ok(LoopEnd::Eof) => {}
                other => panic!("{format:?}: {} reads back as {other:?}", file.display()),
            }
            records += count;
        }
        fs::remove_file(file).expect("removing a log file");
    }
    let sent = pkts.len() as u64;
    let written = if lines {
        report["lines"].as_u64()
    } else {
        report["packets"].as_u64()
    };
    let skipped = report["skipped"].as_u64().unwrap_or(0);
    assert_eq!(
        written.map(|w| w + skipped),
        Some(sent),
        "{format:?}: the report does not account for every packet: {report}"
    );
    if format == Format::Pcapng || lines {
        assert_eq!(skipped, 0, "{format:?}: {report}");
    }
    assert_eq!(
        Some(records),
        written,
        "{format:?}: {} records in {} files, the report says {report}",
        records,
        files.len()
    );
}

fuzz_target!(|data: &[u8]| {
    let dir = folder();
    let capture = matches!(
        data.get(..4),
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4])
            | Some([0xa1, 0xb2, 0x3c, 0x4d] | [0x0a, 0x0d, 0x0d, 0x0a])
    );
    if capture {
        let pkts = from_capture(data);
        // Rotation from the input's length: the same file logs the same way.
        let settings = Settings {
            max_bytes: [0, 0, 0, 200, 3000][data.len() % 5],
            rotate_seconds: [0, 0, 1, 3600][data.len() % 4],
            time_fields: data.len().is_multiple_of(7),
        };
        for format in FORMATS {
            log(dir, format, settings, &pkts);
        }
    } else if let Ok((format, settings, pkts)) = arbitrary_input(data) {
        log(dir, format, settings, &pkts);
    }
});
