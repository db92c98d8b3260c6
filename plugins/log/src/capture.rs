//! Capture-file output: pcap or pcapng through capture-file's writers, rotated by size and by packet time (see `rotation`) into timestamped files.
//!
//! A file is opened at the first packet it holds: its name takes that
//! packet's time (or the start of its time period), and a pcap header that
//! packet's link type. Every file starts with its own header, and is flushed
//! and closed at a rotation and at shutdown, so each one is complete. Records
//! go through one `BufWriter` per file: no allocation and no system call per
//! packet.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use capture_file::{LinkType, PacketType, PcapWriter, PcapngWriter, Record};
use plugin_api::{output_file, wall_ns, Packet};

use crate::file_names::{before_extension, expand};
use crate::relink::{cook, retag};
use crate::rotation::{Finished, Rotation};
use crate::written::{Counted, Records};

/// The capture format written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// pcap, nanosecond timestamps, one link type per file.
    Pcap,
    /// pcapng, one interface block per interface and link type.
    Pcapng,
}

/// What a capture file's writer writes to: a buffered file or standard
/// output, over a count of the bytes the OS took.
type Out = BufWriter<Counted<Box<dyn Write + Send>>>;

enum Writer {
    Pcap(PcapWriter<Out>),
    Pcapng(PcapngWriter<Out>),
}

impl Writer {
    fn out(&self) -> &Out {
        match self {
            Writer::Pcap(w) => w.get_ref(),
            Writer::Pcapng(w) => w.get_ref(),
        }
    }

    /// Bytes of the file so far, buffered ones included.
    fn bytes(&self) -> u64 {
        self.taken() + self.out().buffer().len() as u64
    }

    /// Bytes of the file the OS took.
    fn taken(&self) -> u64 {
        self.out().get_ref().bytes()
    }

    fn write(&mut self, record: &Record<'_>, data: &[u8]) -> io::Result<()> {
        match self {
            Writer::Pcap(w) => w.write(record, data),
            Writer::Pcapng(w) => w.write(record, data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Writer::Pcap(w) => w.flush(),
            Writer::Pcapng(w) => w.flush(),
        }
    }
}

/// The log's capture files.
pub struct CaptureOutput {
    kind: Kind,
    /// `output` as configured: `-`, a path, or a path with `%` time fields.
    pattern: String,
    /// When the current file is full.
    rotation: Rotation,
    /// Finished files kept.
    keep: u32,
    writer: Option<Writer>,
    /// The current file (None for standard output or before the first packet).
    current: Option<PathBuf>,
    /// Packets in the current file.
    file_packets: u64,
    /// The link type of every pcap file of this run: the first packet's
    /// (Linux cooked v2 when `cooked`).
    link_type: Option<LinkType>,
    /// pcap: rewrite every packet's link-layer header as Linux cooked v2.
    cooked: bool,
    /// The cooked packet being built (reused: no allocation per packet).
    scratch: Vec<u8>,
    /// Finished files of this run still on disk.
    finished: Finished,
    /// Every file name this run started, so that no file of the run is
    /// started again over another (packet time can go backwards).
    started: HashSet<PathBuf>,
    /// Per name before numbering, the next number to try.
    next_n: HashMap<PathBuf, u32>,
    /// Bytes of the finished files that the OS took.
    finished_bytes: u64,
    /// Files started.
    pub files: u64,
    /// Packets written, as far as the OS took them.
    records: Records,
    /// Packets not written: their link type differs from the pcap file's.
    pub skipped: u64,
}

/// Creates and removes an empty file in `folder`.
fn probe_folder(folder: &Path) -> io::Result<()> {
    let mut last = None;
    for n in 0..100 {
        let probe = folder.join(format!(".netraf-log-probe.{}.{n}", std::process::id()));
        match output_file::create_new(&probe) {
            Ok(file) => {
                drop(file);
                return std::fs::remove_file(&probe);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            // The OS's own reason: the probe's name would only confuse.
            Err(e) => return Err(e.raw_os_error().map_or(e, io::Error::from_raw_os_error)),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free probe name")))
}

impl CaptureOutput {
    /// Checks the settings; nothing is opened before the first packet.
    ///
    /// # Errors
    /// Rotation to standard output, an unknown `%` field, a folder that does
    /// not exist, `cooked` with pcapng.
    pub fn new(
        kind: Kind,
        output: &str,
        max_bytes: u64,
        rotate_seconds: u64,
        keep: u32,
        cooked: bool,
    ) -> Result<CaptureOutput, String> {
        if cooked && kind != Kind::Pcap {
            return Err("key `cooked`: applies to format = \"pcap\" \
                        (pcapng keeps each interface's own link type)"
                .into());
        }
        if output == "-" && (max_bytes > 0 || rotate_seconds > 0) {
            return Err(
                "key `output`: rotation needs files: set `output` to a file name, \
                        or max_bytes = 0 and rotate_seconds = 0 to write standard output"
                    .into(),
            );
        }
        if output != "-" {
            let path = expand(output, 0).map_err(|e| format!("key `output`: {e}"))?;
            let folder = match Path::new(&path).parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if !folder.is_dir() {
                return Err(format!(
                    "key `output`: cannot write {output}: folder {} does not exist",
                    folder.display()
                ));
            }
            // Files are opened at the first packet: find out now, not then,
            // whether the folder takes them.
            probe_folder(&folder).map_err(|e| {
                format!(
                    "key `output`: cannot write {output}: cannot create files in folder {}: {e}",
                    folder.display()
                )
            })?;
            output_file::refuse_link(Path::new(&path)).map_err(|e| format!("key `output`: {e}"))?;
        }
        Ok(CaptureOutput {
            kind,
            pattern: output.to_string(),
            rotation: Rotation::new(max_bytes, rotate_seconds),
            keep,
            writer: None,
            current: None,
            file_packets: 0,
            link_type: cooked.then_some(LinkType::LINUX_SLL2),
            cooked,
            // Grown once to the largest rebuilt packet, then reused.
            scratch: Vec::with_capacity(2048),
            finished: Finished::default(),
            started: HashSet::new(),
            next_n: HashMap::new(),
            finished_bytes: 0,
            files: 0,
            records: Records::default(),
            skipped: 0,
        })
    }

    /// Writes one packet, starting a new file first when a limit is reached.
    ///
    /// # Errors
    /// Opening, writing or removing a file.
    pub fn write(&mut self, packet: &Packet<'_>) -> io::Result<()> {
        let mut link_type = LinkType(packet.summary.link_type);
        // A tag the kernel stripped goes back into an Ethernet frame, as
        // libpcap does, so that the file holds the frame as it was sent.
        let vlan = packet
            .vlan()
            .filter(|_| link_type == LinkType::ETHERNET && packet.data().len() >= 12);
        let cooking = self.cooked && link_type != LinkType::LINUX_SLL2;
        let rebuilt = if cooking {
            if cook(packet, link_type, vlan, &mut self.scratch).is_none() {
                if self.skipped == 0 {
                    eprintln!(
                        "log: skipping {link_type} packets: they have no Linux cooked form \
                         (format = \"pcapng\" keeps every packet)"
                    );
                }
                self.skipped += 1;
                return Ok(());
            }
            link_type = LinkType::LINUX_SLL2;
            true
        } else if let Some(tag) = vlan {
            retag(packet.data(), tag, &mut self.scratch);
            true
        } else {
            false
        };
        let mut caplen = packet.data().len();
        let mut len = packet.len;
        if rebuilt {
            // The wire length grows or shrinks with the captured bytes.
            let grown = self.scratch.len() as i64 - caplen as i64;
            len = u32::try_from((i64::from(len) + grown).max(0)).unwrap_or(u32::MAX);
            caplen = self.scratch.len();
        }
        if self.kind == Kind::Pcap {
            match self.link_type {
                None => self.link_type = Some(link_type),
                Some(first) if first != link_type => {
                    if self.skipped == 0 {
                        eprintln!(
                            "log: skipping {link_type} packets: this run's pcap files hold \
                             {first} (a pcap file has one link type; cooked = true or \
                             format = \"pcapng\" keeps every packet)"
                        );
                    }
                    self.skipped += 1;
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        let record = match self.kind {
            Kind::Pcap => 16 + caplen,
            Kind::Pcapng => 44 + caplen.next_multiple_of(4),
        } as u64;
        let rotate = match &self.writer {
            None => true,
            Some(w) => self
                .rotation
                .due(w.bytes(), self.file_packets > 0, record, packet.ts_ns),
        };
        if rotate {
            self.start(packet.ts_ns, link_type)?;
        }
        let record = Record {
            ts_ns: packet.ts_ns,
            caplen: caplen as u32,
            len,
            interface: packet.ifindex,
            ifname: packet.ifname(),
            packet_type: PacketType::from_sll(packet.pkttype),
            link_type,
        };
        let data = if rebuilt {
            &self.scratch[..]
        } else {
            packet.data()
        };
        if let Some(w) = &mut self.writer {
            w.write(&record, data)?;
            self.records.buffered(w.bytes());
            self.records.taken(w.taken());
        }
        self.file_packets += 1;
        Ok(())
    }

    /// Closes the current file (if any) and opens the next one for a packet at `ts_ns`.
    fn start(&mut self, ts_ns: u64, link_type: LinkType) -> io::Result<()> {
        self.close()?;
        let name_ns = self.rotation.start(ts_ns);
        let (sink, path): (Box<dyn Write + Send>, _) = if self.pattern == "-" {
            (Box::new(io::stdout()), None)
        } else {
            let path = self.next_name(name_ns / 1_000_000_000)?;
            let file = output_file::create(&path)?;
            (Box::new(file), Some(path))
        };
        let out = BufWriter::with_capacity(1 << 16, Counted::new(sink));
        self.writer = Some(match self.kind {
            Kind::Pcap => Writer::Pcap(PcapWriter::new(out, link_type, 0)?),
            Kind::Pcapng => Writer::Pcapng(PcapngWriter::new(out, "netraf", 0)?),
        });
        self.current = path;
        self.file_packets = 0;
        self.files += 1;
        Ok(())
    }

    /// The name of the next file: `output` with its time fields filled in
    /// (when rotating and `output` has none, `-YYYYmmdd-HHMMSS` before the
    /// extension), then `-N` before the extension when a file of this run
    /// already has that name (several files in one second, or packet time
    /// that went back to an earlier period).
    fn next_name(&mut self, secs: u64) -> io::Result<PathBuf> {
        let pattern = if self.rotation.rotates() && !self.pattern.contains('%') {
            before_extension(&self.pattern, "-%Y%m%d-%H%M%S")
        } else {
            self.pattern.clone()
        };
        let base = PathBuf::from(expand(&pattern, secs).map_err(io::Error::other)?);
        let n = self.next_n.entry(base.clone()).or_insert(0);
        let name = loop {
            let name = if *n == 0 {
                base.clone()
            } else {
                let text = base.to_string_lossy();
                PathBuf::from(before_extension(&text, &format!("-{n}")))
            };
            *n += 1;
            if !self.started.contains(&name) {
                break name;
            }
        };
        self.started.insert(name.clone());
        Ok(name)
    }

    /// Flushes and closes the current file; removes the oldest finished files beyond `keep`.
    fn close(&mut self) -> io::Result<()> {
        let Some(mut writer) = self.writer.take() else {
            return Ok(());
        };
        let flushed = writer.flush();
        self.records.taken(writer.taken());
        self.records.next_file();
        self.finished_bytes += writer.taken();
        drop(writer);
        flushed?;
        match self.current.take() {
            Some(path) => self.finished.push(path, self.keep),
            None => Ok(()),
        }
    }

    /// Pushes buffered records to the file.
    ///
    /// # Errors
    /// The file's write error.
    pub fn flush(&mut self) -> io::Result<()> {
        let Some(w) = &mut self.writer else {
            return Ok(());
        };
        let flushed = w.flush();
        self.records.taken(w.taken());
        flushed
    }

    /// Flushes the current file at the end of the run. A run without a single
    /// packet still leaves one file with a header (pcap: Ethernet), so that
    /// readers find a valid, empty capture.
    ///
    /// # Errors
    /// Opening or writing the file.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.files == 0 {
            let link_type = self.link_type.unwrap_or(LinkType::ETHERNET);
            self.start(wall_ns(), link_type)?;
        }
        self.flush()
    }

    /// Bytes of every file so far that the OS took.
    pub fn bytes(&self) -> u64 {
        self.finished_bytes + self.writer.as_ref().map_or(0, Writer::taken)
    }

    /// Packets wholly written to the files (the OS took every byte).
    pub fn packets(&self) -> u64 {
        self.records.complete()
    }

    /// The current file, or `-`.
    pub fn name(&self) -> String {
        match &self.current {
            Some(path) => path.display().to_string(),
            None if self.pattern == "-" => "-".into(),
            None => self.pattern.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::StrippedVlan;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netraf-log-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Writes a 60-byte Ethernet packet of time `ts_ns` on eth0.
    fn write_ethernet_60(out: &mut CaptureOutput, ts_ns: u64) {
        let summary = plugin_api::PacketSummary {
            link_type: 1,
            ..Default::default()
        };
        let data = [0u8; 60];
        let packet = Packet {
            ts_ns,
            caplen: 60,
            len: 60,
            ifindex: 1,
            pkttype: 0,
            ifname: "eth0".into(),
            data: (&data[..]).into(),
            summary: &summary,
            vlan_tci: 0,
            vlan_tpid: 0,
        };
        out.write(&packet).unwrap();
    }

    /// Packet time that goes back to an earlier period must not start a
    /// file over one this run already wrote.
    #[test]
    fn packet_time_going_back_never_overwrites_a_file_of_the_run() {
        let dir = temp_dir("backwards");
        let pattern = dir.join("t.pcap");
        let mut out =
            CaptureOutput::new(Kind::Pcap, pattern.to_str().unwrap(), 100, 0, 10, false).unwrap();
        for secs in [100u64, 200, 100, 100] {
            write_ethernet_60(&mut out, secs * 1_000_000_000);
        }
        out.finish().unwrap();
        assert_eq!((out.files, out.packets()), (4, 4));
        assert_eq!(
            names(&dir),
            [
                "t-19700101-000140-1.pcap",
                "t-19700101-000140-2.pcap",
                "t-19700101-000140.pcap",
                "t-19700101-000320.pcap"
            ]
        );
        for name in names(&dir) {
            let len = std::fs::metadata(dir.join(&name)).unwrap().len();
            assert_eq!(len, 24 + 16 + 60, "{name} holds its one packet");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_started_within_one_second_are_numbered_and_keep_applies() {
        let dir = temp_dir("numbered");
        let pattern = dir.join("t.pcap");
        let mut out =
            CaptureOutput::new(Kind::Pcap, pattern.to_str().unwrap(), 100, 0, 2, false).unwrap();
        for i in 0..4 {
            write_ethernet_60(&mut out, 951_827_696_000_000_000 + i);
        }
        out.finish().unwrap();
        // 24 + 76 bytes fill a file: one packet per file, 4 files, 3 kept.
        assert_eq!((out.files, out.packets()), (4, 4));
        assert_eq!(out.bytes(), 4 * 100);
        assert_eq!(
            names(&dir),
            [
                "t-20000229-123456-1.pcap",
                "t-20000229-123456-2.pcap",
                "t-20000229-123456-3.pcap"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_run_without_packets_leaves_a_header_only_file() {
        let dir = temp_dir("empty");
        let path = dir.join("none.pcap");
        let mut out =
            CaptureOutput::new(Kind::Pcap, path.to_str().unwrap(), 0, 0, 5, false).unwrap();
        out.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 24);
        assert_eq!(bytes[..4], 0xa1b2_3c4du32.to_le_bytes());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A packet of `data` whose stripped tag is `tag` (TPID 0: none).
    fn packet<'a>(
        summary: &'a plugin_api::PacketSummary,
        data: &'a [u8],
        tag: StrippedVlan,
    ) -> Packet<'a> {
        Packet {
            ts_ns: 951_827_696_000_000_000,
            caplen: data.len() as u32,
            len: data.len() as u32 + 10,
            ifindex: 0x0102_0304,
            pkttype: 1,
            ifname: "eth0".into(),
            data: data.into(),
            summary,
            vlan_tci: tag.tci,
            vlan_tpid: tag.tpid,
        }
    }

    fn cooked(link_type: u16, data: &[u8]) -> Option<Vec<u8>> {
        let summary = plugin_api::PacketSummary::default();
        let untagged = StrippedVlan { tpid: 0, tci: 0 };
        let mut out = Vec::new();
        let packet = packet(&summary, data, untagged);
        cook(&packet, LinkType(link_type), None, &mut out).map(|_| out)
    }

    /// Ethernet: dst ff.., src 02:..:01, IPv4, 2 payload bytes.
    fn ethernet() -> Vec<u8> {
        [
            &[0xff; 6][..],
            &[2, 0, 0, 0, 0, 1],
            &[0x08, 0x00],
            &[0x45, 0x00],
        ]
        .concat()
    }

    #[test]
    fn a_stripped_tag_goes_back_into_pcap_and_pcapng_records() {
        let dir = temp_dir("retag");
        let summary = plugin_api::PacketSummary {
            link_type: 1,
            ..Default::default()
        };
        let frame = ethernet();
        let tag = StrippedVlan {
            tpid: 0x8100,
            tci: (3 << 13) | 42,
        };
        let tagged = [&frame[..12], &tag.to_bytes(), &frame[12..]].concat();
        // caplen and len of the tagged record (the packet's len is caplen + 10).
        let (caplen, len) = (tagged.len() as u32, tagged.len() as u32 + 10);
        for (kind, name, record) in [(Kind::Pcap, "t.pcap", 24), (Kind::Pcapng, "t.pcapng", 0)] {
            let path = dir.join(name);
            let mut out = CaptureOutput::new(kind, path.to_str().unwrap(), 0, 0, 1, false).unwrap();
            out.write(&packet(&summary, &frame, tag)).unwrap();
            // Not every frame had a tag stripped.
            let plain = StrippedVlan { tpid: 0, tci: 0 };
            out.write(&packet(&summary, &frame, plain)).unwrap();
            out.finish().unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
            if kind == Kind::Pcap {
                // Record header: caplen and len grew by 4, then the tagged frame.
                assert_eq!((u32_at(record + 8), u32_at(record + 12)), (caplen, len));
                assert_eq!(bytes[record + 16..record + 16 + tagged.len()], tagged[..]);
                let second = record + 16 + tagged.len();
                assert_eq!(
                    (u32_at(second + 8), u32_at(second + 12)),
                    (caplen - 4, len - 4)
                );
                assert_eq!(bytes[second + 16..], frame[..]);
            } else {
                // The first enhanced packet block follows the section and interface blocks.
                let mut epb = 0;
                while u32_at(epb) != 6 {
                    epb += u32_at(epb + 4) as usize;
                }
                assert_eq!((u32_at(epb + 20), u32_at(epb + 24)), (caplen, len));
                assert_eq!(bytes[epb + 28..epb + 28 + tagged.len()], tagged[..]);
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stripped_tag_is_cooked_as_linux_puts_a_tagged_frame() {
        let summary = plugin_api::PacketSummary::default();
        let frame = ethernet();
        let tag = StrippedVlan {
            tpid: 0x88a8,
            tci: 7,
        };
        let mut out = Vec::new();
        cook(
            &packet(&summary, &frame, tag),
            LinkType::ETHERNET,
            Some(tag),
            &mut out,
        )
        .unwrap();
        // Protocol = TPID; after the 20-byte header: TCI, EtherType, payload.
        assert_eq!(out[..2], [0x88, 0xa8]);
        assert_eq!(out[20..], [0, 7, 0x08, 0x00, 0x45, 0x00]);
    }

    #[test]
    fn cooked_headers_are_linux_sll2() {
        let eth = ethernet();
        let want = [
            &[0x08, 0x00, 0, 0, 1, 2, 3, 4, 0, 1, 1, 6][..],
            &[2, 0, 0, 0, 0, 1, 0, 0],
            &[0x45, 0x00],
        ]
        .concat();
        assert_eq!(cooked(1, &eth).unwrap(), want);
        // An 802.3 length field becomes ETH_P_802_2 (LLC).
        let mut llc = eth.clone();
        llc[12..14].copy_from_slice(&[0x00, 0x26]);
        assert_eq!(cooked(1, &llc).unwrap()[..2], [0x00, 0x04]);
        // SLL v1: pkttype 0, hatype 772, halen 0, protocol IPv6.
        let sll = [&[0, 0, 3, 4, 0, 0][..], &[0; 8], &[0x86, 0xdd], &[0x60]].concat();
        let out = cooked(113, &sll).unwrap();
        assert_eq!(out[..2], [0x86, 0xdd]);
        assert_eq!(out[8..12], [3, 4, 1, 0]);
        assert_eq!(out[20..], [0x60]);
        // Null loopback (AF_INET6 24): the version nibble says IPv6.
        let out = cooked(0, &[24, 0, 0, 0, 0x60, 0]).unwrap();
        assert_eq!((out[..2].to_vec(), out.len()), (vec![0x86, 0xdd], 22));
        // Too short, not IP, no cooked form.
        assert!(cooked(1, &eth[..13]).is_none());
        assert!(cooked(101, &[0x10]).is_none());
        assert!(cooked(127, &eth).is_none());
    }

    #[test]
    fn rotation_to_standard_output_is_refused() {
        let err = CaptureOutput::new(Kind::Pcap, "-", 1000, 0, 1, false)
            .err()
            .expect("refused");
        assert!(err.contains("rotation"), "{err}");
        let err = CaptureOutput::new(Kind::Pcap, "/nonexistent-netraf/t.pcap", 0, 0, 1, false)
            .err()
            .expect("refused");
        assert!(err.contains("does not exist"), "{err}");
    }
}
