//! netraf-bpf against the real libpcap: `dump` equals `tcpdump -d`, and `run` keeps the records of each corpus file that `tcpdump -w` keeps.
//!
//! [`compare_with_tcpdump`] is the harness: it takes a way to get a program
//! for (file, link type, expression), runs it with `netraf_bpf::run` over
//! every record of every corpus file tcpdump reads, and compares the kept
//! records with those `tcpdump -r FILE -w OUT EXPR` writes. Here the
//! programs are libpcap's own (`tcpdump -dd`); netraf's compiler plugs its
//! programs into the same harness.

use capture_file::{Never, Next, Reader};
use netraf_bpf::{dump, parse_dd, run, Ancillary, Insn};
use netraf_tests::corpus::{self, Differences};
use netraf_tests::files::{tool_available, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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
/// the harness's reference way to get a program.
fn libpcap_program(file: &Path, _link_type: u16, expression: &str) -> Result<Vec<Insn>, String> {
    let path = file.to_string_lossy();
    let dd = tcpdump(&["-r", &path, "-dd", "--", expression])?;
    parse_dd(&dd)
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
    Ok((link_type.unwrap_or(0), all))
}

/// A way to get a program for (file, its link type, expression): an error
/// for an expression invalid on that link type.
pub type ProgramFor = dyn Fn(&Path, u16, &str) -> Result<Vec<Insn>, String> + Sync;

/// Counts of one harness run.
#[derive(Debug, Default)]
pub struct Counts {
    /// Corpus files compared.
    pub files: usize,
    /// (file, expression) pairs compared.
    pub pairs: usize,
    /// Records run through a program.
    pub records: usize,
    /// Pairs whose expression is invalid on the file's link type.
    pub invalid: usize,
}

/// Compares, for every corpus file tcpdump and capture-file both read whole and
/// every expression of [`EXPRESSIONS`] `program_for` gives a program for,
/// the records `netraf_bpf::run` keeps with those `tcpdump -w` keeps.
/// `program_for(file, link type, expression)` returns an error for an
/// expression invalid on that link type (the pair is skipped).
///
/// # Panics
/// On any difference (all listed), or fewer than `min_pairs` pairs compared.
/// `None` (skipped) without the corpus or tcpdump.
pub fn compare_with_tcpdump(program_for: &ProgramFor, min_pairs: usize) -> Option<Counts> {
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
                        let program = match program_for(path, link_type, expression) {
                            Ok(program) => program,
                            Err(_) => {
                                counts.lock().unwrap().invalid += 1;
                                continue;
                            }
                        };
                        let out = tmp.path().join(format!("{name}.{e}.pcap"));
                        let theirs =
                            tcpdump(&["-r", &file, "-w", &out.to_string_lossy(), "--", expression])
                                .and_then(|_| records(&out).map(|(_, kept)| kept));
                        let _ = std::fs::remove_file(&out);
                        let theirs = match theirs {
                            Ok(kept) => kept,
                            Err(err) => {
                                diffs
                                    .lock()
                                    .unwrap()
                                    .note(format!("{name}: {expression:?}: tcpdump -w: {err}"));
                                continue;
                            }
                        };
                        let ours: Vec<&Kept> = all
                            .iter()
                            .filter(|(_, len, data)| {
                                run(&program, data, *len, &Ancillary::default()) != 0
                            })
                            .collect();
                        let mut counts = counts.lock().unwrap();
                        counts.pairs += 1;
                        counts.records += all.len();
                        if ours.len() != theirs.len()
                            || ours.iter().zip(&theirs).any(|(a, b)| *a != b)
                        {
                            diffs.lock().unwrap().note(format!(
                                "{name}: {expression:?}: tcpdump keeps {} records, run keeps {}{}",
                                theirs.len(),
                                ours.len(),
                                first_difference(&ours, &theirs)
                            ));
                        }
                    }
                }
            });
        }
    });
    let counts = counts.into_inner().unwrap();
    for skip in skipped.into_inner().unwrap() {
        eprintln!("skipped {skip}");
    }
    eprintln!(
        "compared {} (file, expression) pairs over {} files ({} records run, {} pairs invalid on the link type)",
        counts.pairs, counts.files, counts.records, counts.invalid
    );
    diffs.into_inner().unwrap().assert_none();
    assert!(
        counts.pairs >= min_pairs,
        "only {} pairs compared, at least {min_pairs} expected",
        counts.pairs
    );
    Some(counts)
}

/// Where two kept lists first differ, for the report.
fn first_difference(ours: &[&Kept], theirs: &[Kept]) -> String {
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| *a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    format!(" (first difference at kept record {at})")
}

#[test]
fn run_keeps_what_tcpdump_keeps() {
    compare_with_tcpdump(&libpcap_program, 1500);
}

/// netraf's own compiler's program for `expression` on `link_type`; an
/// expression it refuses counts as invalid for the pair.
fn netraf_program(_file: &Path, link_type: u16, expression: &str) -> Result<Vec<Insn>, String> {
    netraf_filter::compile(expression, capture_file::LinkType(link_type), 262_144)
        .map_err(|e| e.to_string())
}

#[test]
fn netraf_filter_programs_keep_what_tcpdump_keeps() {
    compare_with_tcpdump(&netraf_program, 1000);
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
