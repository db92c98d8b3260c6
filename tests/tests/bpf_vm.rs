//! netraf-bpf against the real libpcap: `dump` equals `tcpdump -d`, and `run` keeps the records of each corpus file that `tcpdump -w` keeps.
//!
//! [`compare_with_tcpdump`] is the harness: it takes a way to get a program
//! for (file, link type, expression), runs it with `netraf_bpf::run` over
//! every record of every corpus file tcpdump reads, and compares the kept
//! records with those `tcpdump -r FILE -w OUT EXPR` writes. Here the
//! programs are libpcap's own (`tcpdump -dd`); netraf's compiler plugs its
//! programs into the same harness.

use capture_file::{Never, Next, Reader};
use netraf_bpf::opcode::{JA, JMP};
use netraf_bpf::{dump, parse_dd, run, Ancillary, Insn};
use netraf_tests::corpus::{self, Differences};
use netraf_tests::files::{tool_available, TempDir};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Expressions of every kind libpcap compiles, using every instruction
/// class (IND, MSH, MEM, LEN, the ALU with K and X, jumps with K and X).
/// Those invalid on a link type are skipped there.
const EXPRESSIONS: &[&str] = &[
    "tcp",
    "udp",
    "icmp",
    "arp",
    "rarp",
    "ip",
    "ip6",
    "igmp",
    "icmp6",
    "udp port 53",
    "tcp port 80 or tcp port 443",
    "port 179",
    "host 10.0.0.1",
    "src host 192.168.1.1 or dst host 192.168.1.2",
    "net 10.0.0.0/8",
    "net 192.168.0.0/16 and not udp",
    "vlan",
    "vlan 100 and ip",
    "vlan and udp",
    "ip6 and tcp",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "tcp[tcpflags] & tcp-rst != 0",
    "icmp[icmptype] == icmp-echo",
    "icmp[icmptype] == icmp-echoreply",
    "ip[6:2] & 0x1fff = 0",
    "ip[6] & 0x20 = 0x20 or ip[6:2] & 0x1fff != 0",
    "less 100",
    "greater 1000",
    "len >= 64 and len <= 512",
    "ether broadcast",
    "ether multicast",
    "ether src 00:11:22:33:44:55 or ether proto 0x88cc",
    "ip multicast",
    "ip6 multicast",
    "portrange 1000-2000",
    "tcp portrange 1-1024",
    "ip6 protochain 6",
    "ip protochain 17",
    "mpls",
    "pppoes",
    "ospf",
    "ip proto 89",
    "not tcp and not udp",
    "inbound",
    "outbound",
    "ifindex 1",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) != 0",
    "udp[8:2] * 2 / 3 % 5 - 1 > 0",
    "ip[8] * ip[9] > 100",
    "ip[8] & ip[9] != 0",
    "ip[8] | ip[9] = 0x41",
    "ip[1] ^ 0xff = 0xff",
    "ip[9] % 4 = 2 or ip[9] / 2 = 3",
    "-ip[1] = 0",
    "ip[12] >> (ip[15] & 7) & 1 = 0",
    "1 << (ip[15] & 7) & 4 != 0",
    "ip and ip[ip[0] & 3] = 1",
    "len - 14 = ip[2:2]",
    "udp[0:2] >= udp[2:2]",
    "udp[0:2] > udp[2:2]",
    "ip6[6] = 58 and ip6[40] = 128",
    "ip[ip[0]&0xf:2] = ip[2:2]",
    // Hosts and nets seen in the corpus, every direction.
    "host 10.0.0.1 or 10.0.0.2",
    "src host 10.0.0.1",
    "dst host 10.0.0.1 and tcp",
    "src or dst host 10.0.0.138",
    "src and dst host 10.0.0.1",
    "src and dst net 10.0.0.0/8",
    "ip host 54.192.94.30",
    "arp host 10.0.0.1",
    "rarp host 10.0.0.1",
    "host 131.151.32.21 and not host 131.151.1.146",
    "net 131.151.0.0/16",
    "net 131.151.32.0 mask 255.255.255.0",
    "src net 212.199.202.0/24 or dst net 54.192.0.0/16",
    "dst net 224.0.0.0/4",
    "net 10",
    "net 172.16",
    "net 0.0.0.0/0",
    "ip net 1.0.0.0/22",
    "host ff02::fb",
    "src host fe80::5a1f:aaff:fe4f:3f9d",
    "ip6 host ::1",
    "net fe80::/10",
    "ip6 dst net ff00::/8",
    "net 2001:618::/32 and tcp",
    "host 2001:618:1:8000::5 or host 10.0.0.1",
    // Ports and ranges, every direction, repeated qualifiers.
    "port 80 or 443",
    "tcp port 80 and not 443",
    "src port 80",
    "dst port 53",
    "src or dst port 5353",
    "src and dst port 179",
    "udp src port 5353",
    "tcp dst port 443 or tcp src port 443",
    "sctp port 80",
    "port 7000 or 7001 or 7002",
    "portrange 7000-7021",
    "src portrange 7000-7010",
    "dst portrange 1-1023",
    "udp portrange 137-138",
    "tcp src or dst portrange 55000-56000",
    "tcp src and dst portrange 1024-65535",
    "not port 80 and not port 443 and tcp",
    // Link layer.
    "ether host 30:46:9a:23:fb:fa",
    "ether src 6c:f0:49:b2:de:6e",
    "ether dst 33:33:00:00:00:0c",
    "ether src 00:13:c3:df:ae:18 and ether dst 00:1b:d4:1b:a4:d8",
    "ether dst ff:ff:ff:ff:ff:ff",
    "broadcast",
    "multicast",
    "ether multicast and not ether broadcast",
    "ether proto 0x0806",
    "ether proto 0x86dd",
    "ether proto 0x888e",
    "ether proto \\ip",
    "ether proto \\arp",
    // Protocols by number and by escaped name.
    "ip proto 1",
    "ip proto 17",
    "ip6 proto 58",
    "ip6 proto 17",
    "proto \\tcp",
    "proto \\udp",
    "ip proto \\icmp",
    "ip6 proto \\icmp6",
    "proto 2",
    "sctp",
    "igmp or icmp",
    "pim",
    "vrrp",
    "esp or ah",
    "ip6 and udp",
    "ip and not tcp and not udp",
    "icmp6 and ip6 multicast",
    // Protocol chains.
    "ip6 protochain 58",
    "ip6 protochain 17",
    "ip6 protochain 0",
    "ip6 protochain 59",
    "protochain 6",
    "protochain 17 and port 53",
    "ip protochain 1",
    "ip6 protochain \\udp",
    "not protochain 6",
    // VLAN, stacked, and MPLS.
    "vlan 118",
    "vlan 118 and vlan 10",
    "vlan 200 and vlan 2001 and arp",
    "vlan and vlan and ip",
    "vlan 20 or vlan 209",
    "vlan and icmp",
    "vlan and host 10.118.10.1",
    "vlan 10 and port 80",
    "not vlan",
    "mpls 100 and ip",
    "mpls and mpls 5",
    "vlan and mpls",
    "mpls and tcp port 80",
    "mpls and host 10.0.0.1",
    "not mpls and ip",
    "mpls 16 and mpls 17 and ip6",
    "pppoes 5 and ip",
    "pppoes and (tcp or udp)",
    "pppoed",
    "mpls and pppoes",
    // Names from the system's databases.
    "host localhost",
    "port http",
    "gateway localhost",
    // Lengths.
    "len < 100",
    "len > 1000 and tcp",
    "len == 60",
    "len != 60 and arp",
    "greater 1500",
    "less 60",
    "len <= 66",
    // Byte offsets, arithmetic and bit operators.
    "tcp[13] = 18",
    "tcp[tcpflags] & tcp-ack != 0 and tcp[tcpflags] & tcp-push != 0",
    "tcp[tcpflags] == tcp-syn",
    "tcp[tcpflags] & (tcp-ece|tcp-cwr) != 0",
    "udp[2:2] = 53",
    "icmp[icmpcode] = 0",
    "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
    "icmp6[icmp6type] = icmp6-neighborsolicit",
    "icmp6[icmp6type] == icmp6-multicastlistenerreportv2 or icmp6[0] = 143",
    "ip6[6] = 17",
    "ether[12:2] = 0x0800",
    "ether[0] & 1 = 1",
    "ip[0] & 0xf > 5",
    "ip[9] != 6 and ip[9] != 17",
    "arp[7] = 1",
    "ip[2:2] > 576",
    "tcp[2:2] < 1024",
    "udp[4:2] - 8 > 100",
    "ip[16:4] & 0xffffff00 = 0x0a000000",
    "ip[8] + ip[9] >= 0x50",
    "tcp[0:2] | tcp[2:2] = 0x1f90",
    "ip[1] & 0xfc = 0",
    "(ip[6] & 0x40) >> 6 = 1",
    // Logic: and/or/not/!/&&/||, parentheses.
    "tcp && port 80",
    "udp || icmp",
    "!tcp",
    "!(tcp or udp)",
    "not (host 10.0.0.1 and port 80)",
    "(tcp or udp) and (port 53 or port 80)",
    "ip and not (src net 10.0.0.0/8)",
    "arp or (ip and (udp or icmp)) or ip6",
    "! ip6 && ! arp || vlan",
    "tcp and (src port 80 or dst port 80) and not host 54.192.94.30",
    // Refused by tcpdump (and so by netraf too).
    "tcp and",
    "host 10.0.0.1 and (udp",
    "ip[1:3] = 0",
    "port 70000",
    "vlan 4096",
    "mpls 1048576",
    "net 10.0.0.1/8",
    "ip proto 256",
    "mpls and arp",
    "udp[0] = = 1",
    "src host",
];

/// Runs `tcpdump` with `args`: its stdout, or its stderr as the error.
fn tcpdump(args: &[&str]) -> Result<String, String> {
    let out = Command::new("tcpdump")
        .args(args)
        .output()
        .map_err(|err| format!("tcpdump: {err}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        // The last line: the first says which file tcpdump reads.
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(stderr.trim().lines().last().unwrap_or("failed").to_string())
    }
}

/// libpcap's program for `expression` on `file` (`tcpdump -r FILE -dd EXPR`):
/// the harness's reference way to get a program. One per (link type,
/// expression), shared by the tests of a run: the programs for two files of
/// a link type differ only in the snapshot length they return, and a kept
/// record is kept whole whatever the length.
fn libpcap_program(file: &Path, link_type: u16, expression: &str) -> Result<Vec<Insn>, String> {
    #[allow(clippy::type_complexity)]
    static PROGRAMS: OnceLock<
        Mutex<HashMap<(u16, String), Arc<OnceLock<Result<Vec<Insn>, String>>>>>,
    > = OnceLock::new();
    let cell = PROGRAMS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap()
        .entry((link_type, expression.to_string()))
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let path = file.to_string_lossy();
        let dd = tcpdump(&["-r", &path, "-dd", "--", expression])?;
        parse_dd(&dd)
    })
    .clone()
}

/// What the harness compares for one record: its lengths and bytes.
type Kept = (u32, u32, Vec<u8>);

/// The link type of `path`'s first record and every record, or why not.
fn records(path: &Path) -> Result<(u16, Vec<Kept>), String> {
    let mut reader = Reader::open(path).map_err(|err| err.to_string())?;
    let mut link_type = None;
    let mut all = Vec::new();
    loop {
        match reader.next(&Never) {
            Ok(Next::Packet(record, data)) => {
                link_type.get_or_insert(record.link_type.0);
                all.push((record.caplen, record.len, data.to_vec()));
            }
            Ok(_) => break,
            Err(err) => return Err(err.to_string()),
        }
    }
    let link_type = match link_type {
        Some(link_type) => link_type,
        None => header_link_type(path)?,
    };
    Ok((link_type, all))
}

/// The link type a file without records declares: in the pcap header, or in
/// the first interface block of a pcapng file.
fn header_link_type(path: &Path) -> Result<u16, String> {
    let bytes = std::fs::read(path).map_err(|err| err.to_string())?;
    let at = |off: usize, n: usize| {
        bytes
            .get(off..off + n)
            .ok_or_else(|| format!("{}: no link type", path.display()))
    };
    let magic = at(0, 4)?;
    let u32_at = |off: usize, big: bool| -> Result<u32, String> {
        let b: [u8; 4] = at(off, 4)?.try_into().map_err(|_| "short".to_string())?;
        Ok(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if magic == [0x0a, 0x0d, 0x0d, 0x0a] {
        let big = at(8, 4)? == [0x1a, 0x2b, 0x3c, 0x4d];
        let mut off = 0;
        loop {
            let (kind, len) = (u32_at(off, big)?, u32_at(off + 4, big)?);
            if kind == 1 {
                let b: [u8; 2] = at(off + 8, 2)?
                    .try_into()
                    .map_err(|_| "short".to_string())?;
                return Ok(if big {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                });
            }
            if len < 12 {
                return Err(format!("{}: no interface", path.display()));
            }
            off += len as usize;
        }
    }
    let big = matches!(magic, [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d]);
    Ok((u32_at(20, big)? & 0xffff) as u16)
}

/// A way to get a program for (file, its link type, expression): an error
/// for an expression invalid on that link type.
pub type ProgramFor = dyn Fn(&Path, u16, &str) -> Result<Vec<Insn>, String> + Sync;

/// Counts of one harness run.
#[derive(Debug, Default)]
pub struct Counts {
    /// Corpus files compared.
    pub files: usize,
    /// (file, expression) pairs whose kept records were compared (all equal).
    pub pairs: usize,
    /// Records run through a program.
    pub records: usize,
    /// Pairs tcpdump refuses (the expression is invalid on the file's link
    /// type) and `program_for` refuses too.
    pub refused_by_both: usize,
    /// Pairs `program_for` refuses while tcpdump accepts them, on a link type
    /// it refuses whole.
    pub refused_for_link_type: usize,
    /// The other pairs `program_for` refuses while tcpdump accepts them, each
    /// with the refusal: (file, expression, message).
    pub refused_only_by_us: Vec<(String, String, String)>,
    /// The programs compiled: (a file, its link type, expression, length),
    /// one per (link type, expression).
    pub programs: Vec<(PathBuf, u16, String, usize)>,
}

/// Compares, for every corpus file tcpdump and capture-file both read whole and
/// every expression of [`EXPRESSIONS`], the records `netraf_bpf::run` keeps
/// with the program `program_for(file, link type, expression)` gives with
/// those `tcpdump -w` keeps.
///
/// Where tcpdump refuses the expression on the file's link type,
/// `program_for` must refuse it too (a program there is a failure). Where
/// `program_for` refuses an expression tcpdump accepts, the pair is counted
/// apart, and is a failure unless the expression is one of
/// `deliberately_refused` or the link type one of `link_types_refused`.
///
/// # Panics
/// On any difference (all listed), or fewer than `min_pairs` pairs compared.
/// `None` (skipped) without the corpus or tcpdump.
pub fn compare_with_tcpdump(
    program_for: &ProgramFor,
    min_pairs: usize,
    deliberately_refused: &[&str],
    link_types_refused: &[u16],
) -> Option<Counts> {
    let dir = corpus::dir()?;
    if !tool_available("tcpdump") {
        return None;
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("pcap"))
        .expect("corpus folder")
        .map(|entry| entry.expect("entry").path())
        .collect();
    paths.sort();
    let tmp = TempDir::new("bpf-vm");
    let diffs = Mutex::new(Differences::default());
    let counts = Mutex::new(Counts::default());
    let skipped = Mutex::new(Vec::new());
    let seen = Mutex::new(std::collections::HashSet::new());
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(4, usize::from);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let name = path
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    let file = path.to_string_lossy();
                    // Whole files only: libpcap stops at a pcapng interface of
                    // another link type, or at a record cut short.
                    if let Err(err) = tcpdump(&["-r", &file, "-w", "/dev/null"]) {
                        skipped
                            .lock()
                            .unwrap()
                            .push(format!("{name}: tcpdump: {err}"));
                        continue;
                    }
                    let (link_type, all) = match records(path) {
                        Ok(read) => read,
                        Err(err) => {
                            skipped
                                .lock()
                                .unwrap()
                                .push(format!("{name}: capture-file: {err}"));
                            continue;
                        }
                    };
                    counts.lock().unwrap().files += 1;
                    for (e, expression) in EXPRESSIONS.iter().enumerate() {
                        let program = program_for(path, link_type, expression);
                        let out = tmp.path().join(format!("{name}.{e}.pcap"));
                        let theirs = tcpdump_keeps(path, expression, &all, &out);
                        let (program, theirs) = match (program, theirs) {
                            (Err(_), Err(_)) => {
                                counts.lock().unwrap().refused_by_both += 1;
                                continue;
                            }
                            (Ok(program), Err(err)) => {
                                diffs.lock().unwrap().note(format!(
                                    "{name}: {expression:?}: tcpdump refuses it ({err}), \
                                     yet a program of {} instructions was given",
                                    program.len()
                                ));
                                continue;
                            }
                            (Err(_), Ok(_)) if link_types_refused.contains(&link_type) => {
                                counts.lock().unwrap().refused_for_link_type += 1;
                                continue;
                            }
                            (Err(ours), Ok(_)) => {
                                if !deliberately_refused.contains(expression) {
                                    diffs.lock().unwrap().note(format!(
                                        "{name}: {expression:?}: tcpdump accepts it, refused: {ours}"
                                    ));
                                }
                                counts.lock().unwrap().refused_only_by_us.push((
                                    name.clone(),
                                    expression.to_string(),
                                    ours,
                                ));
                                continue;
                            }
                            (Ok(program), Ok(theirs)) => (program, theirs),
                        };
                        if seen
                            .lock()
                            .unwrap()
                            .insert((link_type, expression.to_string()))
                        {
                            counts.lock().unwrap().programs.push((
                                path.clone(),
                                link_type,
                                expression.to_string(),
                                program.len(),
                            ));
                        }
                        let ours: Vec<usize> = (0..all.len())
                            .filter(|&i| {
                                let (_, len, data) = &all[i];
                                run(&program, data, *len, &Ancillary::default()) != 0
                            })
                            .collect();
                        let mut counts = counts.lock().unwrap();
                        counts.pairs += 1;
                        counts.records += all.len();
                        let same = |a: &usize, b: &usize| all.get(*b) == Some(&all[*a]);
                        if ours.len() != theirs.len()
                            || ours.iter().zip(&theirs).any(|(a, b)| !same(a, b))
                        {
                            diffs.lock().unwrap().note(format!(
                                "{name}: {expression:?}: tcpdump keeps {} records, run keeps {}{}",
                                theirs.len(),
                                ours.len(),
                                first_difference(&ours, &theirs, &all)
                            ));
                        }
                    }
                }
            });
        }
    });
    let mut counts = counts.into_inner().unwrap();
    counts.refused_only_by_us.sort();
    counts.programs.sort();
    for skip in skipped.into_inner().unwrap() {
        eprintln!("skipped {skip}");
    }
    let expressions: std::collections::BTreeSet<&str> = counts
        .refused_only_by_us
        .iter()
        .map(|(_, e, _)| e.as_str())
        .collect();
    eprintln!(
        "{} files x {} expressions: {} pairs compared equal ({} records run), \
         {} refused by both, {} refused by the compiler only ({} of them for their link \
         type, the others {} expressions)",
        counts.files,
        EXPRESSIONS.len(),
        counts.pairs,
        counts.records,
        counts.refused_by_both,
        counts.refused_only_by_us.len() + counts.refused_for_link_type,
        counts.refused_for_link_type,
        expressions.len(),
    );
    for expression in &expressions {
        let (files, message) = counts
            .refused_only_by_us
            .iter()
            .filter(|(_, e, _)| e == expression)
            .fold((0, ""), |(n, _), (_, _, m)| (n + 1, m.as_str()));
        eprintln!("  refused by the compiler only: {expression:?} on {files} files: {message}");
    }
    diffs.into_inner().unwrap().assert_none();
    assert!(
        counts.pairs >= min_pairs,
        "only {} pairs compared, at least {min_pairs} expected",
        counts.pairs
    );
    Some(counts)
}

/// Where two kept lists (of indices in `all`) first differ, for the report.
fn first_difference(ours: &[usize], theirs: &[usize], all: &[Kept]) -> String {
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| all.get(*b) != Some(&all[*a]))
        .unwrap_or(ours.len().min(theirs.len()));
    format!(" (first difference at kept record {at})")
}

/// tcpdump's answer for (file, expression): the indices in the file of the
/// records it keeps (`usize::MAX` for one not found there), or its refusal.
type Answer = Result<Vec<usize>, String>;

/// The answers got so far, shared by the tests of one run (each runs tcpdump
/// once per pair).
#[allow(clippy::type_complexity)]
static ANSWERS: OnceLock<Mutex<HashMap<(PathBuf, &'static str), Arc<OnceLock<Answer>>>>> =
    OnceLock::new();

/// The records `tcpdump -r path -w out expression` keeps of `all` (the
/// records of `path`), as indices in `all`.
fn tcpdump_keeps(path: &Path, expression: &'static str, all: &[Kept], out: &Path) -> Answer {
    let cell = ANSWERS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap()
        .entry((path.to_path_buf(), expression))
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let file = path.to_string_lossy();
        let kept = tcpdump(&["-r", &file, "-w", &out.to_string_lossy(), "--", expression])
            .and_then(|_| {
                records(out)
                    .map(|(_, kept)| kept)
                    .map_err(|err| format!("reading tcpdump -w's file: {err}"))
            });
        let _ = std::fs::remove_file(out);
        let mut next = 0;
        Ok(kept?
            .iter()
            .map(
                |record| match all[next..].iter().position(|r| r == record) {
                    Some(i) => {
                        next += i + 1;
                        next - 1
                    }
                    None => usize::MAX,
                },
            )
            .collect())
    })
    .clone()
}

/// libpcap's program, if the kernel takes it: `run` follows the kernel's
/// rules (forward jumps only), and libpcap's `protochain` loops backwards.
fn libpcap_kernel_program(
    file: &Path,
    link_type: u16,
    expression: &str,
) -> Result<Vec<Insn>, String> {
    let program = libpcap_program(file, link_type, expression)?;
    // A `ja` back wraps around to an offset past the end.
    if program
        .iter()
        .enumerate()
        .any(|(pc, i)| i.code == JMP | JA && pc + 1 + i.k as usize > program.len())
    {
        return Err("a backward jump, which the kernel refuses".to_string());
    }
    Ok(program)
}

#[test]
fn run_keeps_what_tcpdump_keeps() {
    // The kernel refuses libpcap's programs for these (a backward jump).
    let loops: Vec<&str> = EXPRESSIONS
        .iter()
        .copied()
        .filter(|e| e.contains("protochain"))
        .collect();
    compare_with_tcpdump(&libpcap_kernel_program, 1500, &loops, &[]);
}

/// netraf's own compiler's program for `expression` on `link_type`; an
/// expression it refuses counts as invalid for the pair.
fn netraf_program(_file: &Path, link_type: u16, expression: &str) -> Result<Vec<Insn>, String> {
    netraf_filter::compile(expression, capture_file::LinkType(link_type), 262_144)
        .map_err(|e| e.to_string())
}

/// Expressions tcpdump accepts that netraf-filter refuses on purpose, each
/// for its reason.
const NETRAF_REFUSES: &[&str] = &[
    // Names: netraf-filter resolves no host or service name (libpcap asks
    // the system's databases at compile time; the filter would depend on
    // the host compiling it).
    "host localhost",
    "port http",
];

/// Link types libpcap compiles filters for and netraf-filter does not: 802.11
/// with radiotap (variable-length radio and 802.11 headers).
const NETRAF_REFUSES_LINK_TYPES: &[u16] = &[127];

#[test]
fn netraf_filter_programs_keep_what_tcpdump_keeps() {
    let Some(counts) = compare_with_tcpdump(
        &netraf_program,
        1000,
        NETRAF_REFUSES,
        NETRAF_REFUSES_LINK_TYPES,
    ) else {
        return;
    };
    // The length of netraf-filter's programs against libpcap's optimized ones.
    let next = AtomicUsize::new(0);
    let ratios = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(4, usize::from);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some((path, link_type, expression, len)) =
                    counts.programs.get(next.fetch_add(1, Ordering::Relaxed))
                {
                    if let Ok(theirs) = libpcap_program(path, *link_type, expression) {
                        ratios.lock().unwrap().push((
                            *len as f64 / theirs.len() as f64,
                            *len,
                            theirs.len(),
                            *link_type,
                            expression.clone(),
                        ));
                    }
                }
            });
        }
    });
    let mut ratios = ratios.into_inner().unwrap();
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mean = ratios.iter().map(|r| r.0).sum::<f64>() / ratios.len().max(1) as f64;
    if let Some((max, ours, theirs, link_type, expression)) = ratios.last() {
        eprintln!(
            "program length, netraf-filter / libpcap (optimized), over {} (link type, \
             expression) pairs: mean {mean:.2}, max {max:.2} ({ours} / {theirs} \
             instructions, link type {link_type}, {expression:?})",
            ratios.len()
        );
    }
    // `protochain` is unrolled on purpose (libpcap's loop is not kernel-valid).
    let walks: Vec<f64> = ratios
        .iter()
        .filter(|r| !r.4.contains("protochain"))
        .map(|r| r.0)
        .collect();
    eprintln!(
        "program length without protochain: mean {:.2}, max {:.2} over {} pairs",
        walks.iter().sum::<f64>() / walks.len().max(1) as f64,
        walks.iter().copied().fold(0.0, f64::max),
        walks.len()
    );
}

#[test]
fn dump_equals_tcpdump_d() {
    if !tool_available("tcpdump") {
        return;
    }
    let mut compared = 0;
    let mut diffs = Differences::default();
    for link_type in [None, Some("LINUX_SLL"), Some("LINUX_SLL2"), Some("RAW")] {
        for expression in EXPRESSIONS {
            let mut args = Vec::new();
            if let Some(link_type) = link_type {
                args.extend(["-y", link_type]);
            }
            let Ok(dd) = tcpdump(&[&args[..], &["-dd", "--", expression]].concat()) else {
                continue;
            };
            let d = tcpdump(&[&args[..], &["-d", "--", expression]].concat())
                .unwrap_or_else(|err| panic!("tcpdump -d {expression:?}: {err}"));
            let program = parse_dd(&dd).unwrap_or_else(|err| panic!("{expression:?}: {err}"));
            compared += 1;
            if dump(&program) != d {
                diffs.note(format!(
                    "{link_type:?} {expression:?}:\ntcpdump -d:\n{d}dump:\n{}",
                    dump(&program)
                ));
            }
        }
    }
    // Live interfaces get the kernel's ancillary loads (`ldb [vlanp]`).
    let mut live = 0;
    for expression in ["vlan", "vlan 100", "not vlan and tcp"] {
        let lo = ["-i", "lo"];
        if let (Ok(dd), Ok(d)) = (
            tcpdump(&[&lo[..], &["-dd", "--", expression]].concat()),
            tcpdump(&[&lo[..], &["-d", "--", expression]].concat()),
        ) {
            compared += 1;
            live += 1;
            let program = parse_dd(&dd).unwrap_or_else(|err| panic!("{expression:?}: {err}"));
            netraf_bpf::validate(&program).unwrap_or_else(|err| panic!("{expression:?}: {err}"));
            if dump(&program) != d {
                diffs.note(format!("lo {expression:?}:\n{d}dump:\n{}", dump(&program)));
            }
        }
    }
    eprintln!("compared the listings of {compared} programs ({live} for a live interface)");
    diffs.assert_none();
    assert!(compared >= 150, "only {compared} listings compared");
}
