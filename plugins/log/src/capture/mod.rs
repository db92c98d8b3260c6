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

use capture_file::{LinkType, PcapWriter, PcapngWriter, Record};
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
        let mut link_type = packet.link_type();
        // A tag the kernel stripped goes back into an Ethernet frame, as
        // libpcap does, so that the file holds the frame as it was sent.
        let vlan = packet
            .stripped_vlan()
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
        let mut len = packet.wire_len();
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
                .due(w.bytes(), self.file_packets > 0, record, packet.ts_ns()),
        };
        if rotate {
            self.start(packet.ts_ns(), link_type)?;
        }
        let record = Record {
            ts_ns: packet.ts_ns(),
            caplen: caplen as u32,
            len,
            interface: packet.ifindex(),
            ifname: packet.ifname(),
            packet_type: packet.packet_type(),
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
mod tests;
