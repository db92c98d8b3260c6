//! MYCAP from C: the example `mycapdump` and the check program `tests/c/capi_check.c`, compiled with the system C compiler against `mycap.h` and libmycap.so, run on veth pairs and capture files.
//!
//! libmycap.so is built by `cargo build -p mycap-capi` (with this test
//! binary's profile and target folder) when the first test needs it: a
//! cdylib cannot be a dependency, and `cargo build --workspace` may not have
//! run since mycap-capi last changed. Cargo does not hold its build lock
//! while tests run, and the build is a no-op when the library is fresh.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use mycap_core::{CaptureConfig, LoopEnd, PacketHeader, Session, Verdict};
use netraf_tests::corpus;
use netraf_tests::files::TempDir;
use netraf_tests::frames::{
    arp_request, broadcast_udp, multicast_udp, payload, unicast_udp, SRC_IP,
};
use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;

/// Generous bound for a C program's run, or for packets on their way.
const BOUND: Duration = Duration::from_secs(10);
/// Bound for building libmycap.so (from scratch on a slow machine).
const BUILD_BOUND: Duration = Duration::from_secs(900);
/// How long to watch for anything more once the expected packets arrived.
const QUIET: Duration = Duration::from_millis(100);

/// The folder of a fresh libmycap.so (`target/<profile>`), built once per process.
fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(build_lib).clone()
}

fn build_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let target = profile_dir.parent().expect("the target folder");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args(["build", "-q", "-p", "mycap-capi", "--profile", profile])
        .arg("--target-dir")
        .arg(target)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cargo");
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .map(|mut e| e.read_to_string(&mut stderr));
    let status = wait_bounded(&mut child, "cargo build -p mycap-capi", BUILD_BOUND);
    assert!(
        status.success(),
        "cargo build -p mycap-capi failed:\n{stderr}"
    );
    let lib = profile_dir.join("libmycap.so");
    assert!(lib.is_file(), "no {} after the build", lib.display());
    profile_dir.to_path_buf()
}

/// Compiles `source` with `cc -Wall -Wextra -Werror` against mycap.h and
/// libmycap.so into `dir`; the program finds the library (soname
/// libmycap.so.1) through an rpath to `dir`.
fn compile(dir: &TempDir, source: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lib = lib_dir();
    let soname = dir.path().join("libmycap.so.1");
    if !soname.exists() {
        std::os::unix::fs::symlink(lib.join("libmycap.so"), &soname).expect("libmycap.so.1 link");
    }
    let name = source.file_stem().expect("a file name");
    let program = dir.path().join(name);
    let out = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(root.join("mycap-capi/include"))
        .arg(source)
        .arg("-L")
        .arg(&lib)
        .args(["-lmycap", "-lpthread"])
        .arg(format!("-Wl,-rpath,{}", dir.path().display()))
        .arg("-o")
        .arg(&program)
        .output()
        .expect("run cc (install gcc: the C API tests need a C compiler)");
    assert!(
        out.status.success(),
        "cc {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    program
}

fn capi_check(dir: &TempDir) -> PathBuf {
    compile(
        dir,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("c/capi_check.c"),
    )
}

fn mycapdump(dir: &TempDir) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    compile(dir, &root.join("mycap-capi/examples/mycapdump.c"))
}

/// Reads a child's pipe on a thread, line by line, into a channel.
fn lines_of(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits at most `bound` for `child` to exit (kills it and panics after).
fn wait_bounded(child: &mut Child, what: &str, bound: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(status) = child.try_wait().expect("wait for a C program") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {bound:?}: killed");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `program args`, bounded in time, and returns what it printed.
fn run(program: &Path, args: &[&str]) -> Output {
    run_with_stdin(program, args, Stdio::null())
}

/// [`run`] with `stdin` as the program's standard input.
fn run_with_stdin(program: &Path, args: &[&str], stdin: Stdio) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a C program");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = thread::spawn(move || {
        let _ = stderr.read_to_end(&mut err);
        err
    });
    let _ = stdout.read_to_end(&mut out);
    let status = wait_bounded(
        &mut child,
        &format!("{} {args:?}", program.display()),
        BOUND,
    );
    let stderr = reader.join().expect("stderr reader");
    Output {
        status,
        stdout: out,
        stderr,
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn null_arguments_are_errors_not_crashes() {
    let dir = TempDir::new("capi-null");
    let out = run(&capi_check(&dir), &["null"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

#[test]
fn mycap_open_on_an_unknown_interface_returns_null_with_the_message() {
    let dir = TempDir::new("capi-unknown");
    let name = "netraf-nosuch0";
    let out = run(&capi_check(&dir), &["unknown", name]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    // The same words as the Rust library's, for the same process.
    let rust = match Session::open(&CaptureConfig::interface(name)) {
        Ok(_) => panic!("{name} exists"),
        Err(e) => e.to_string(),
    };
    assert_eq!(text(&out.stdout).trim_end(), rust);
}

#[test]
fn mycap_end_loop_from_another_thread_ends_an_idle_loop_that_runs_again() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("capi-endloop");
    let netns = pair.a.path().to_str().expect("a UTF-8 path");
    let out = run(&capi_check(&dir), &["endloop", netns, &pair.link.a_if]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("run 1: rc 0") && stdout.contains("run 2: rc 0"),
        "{stdout}"
    );
}

/// The mix of frames the live tests send on `link`, with the packet type
/// each should have: host, broadcast, multicast and otherhost UDP, ARP.
fn mixed_frames(link: &netraf_tests::netns::Link) -> Vec<(Vec<u8>, &'static str)> {
    let mut sent = Vec::new();
    let other_mac = [0x02, 0, 0, 0, 0x77, 0x77];
    for i in 0..5u8 {
        let p = payload("capi", u32::from(i), 10 + usize::from(i));
        sent.push((unicast_udp(link.a_mac, link.b_mac, &p), "host"));
        sent.push((broadcast_udp(link.b_mac, &p), "broadcast"));
        let group = [239, 1, 2, 3].into();
        sent.push((multicast_udp(link.b_mac, group, &p), "multicast"));
        sent.push((unicast_udp(other_mac, link.b_mac, &p), "otherhost"));
        let target = [10, 99, 1, i].into();
        sent.push((arp_request(link.b_mac, SRC_IP, target), "broadcast"));
    }
    sent
}

/// What a [`dump_live`] run sent and what mycapdump printed.
struct Dump {
    /// The frames, with their expected packet type.
    sent: Vec<(Vec<u8>, &'static str)>,
    /// mycapdump's packet lines.
    lines: Vec<String>,
    /// Its standard error after the first line.
    report: Vec<String>,
    /// The capturing interface.
    ifname: String,
}

/// Runs `mycapdump -l -N <a> -i <a_if> ARGS` on a fresh veth pair, sends
/// [`mixed_frames`] from the peer once it listens, waits for `expect` lines
/// (then [`QUIET`] for more), ends it with SIGINT.
fn dump_live(args: &[&str], expect: impl Fn(&[(Vec<u8>, &'static str)]) -> usize) -> Dump {
    let pair = VethPair::new().expect("veth pair");
    let link = &pair.link;
    let dir = TempDir::new("capi-dump");
    let netns = pair.a.path().to_str().expect("a UTF-8 path");
    let mut child = Command::new(mycapdump(&dir))
        .args(["-l", "-N", netns, "-i", &link.a_if])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mycapdump");
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    let started = stderr.recv_timeout(BOUND);
    if !started.as_deref().is_ok_and(|l| l.contains("listening on")) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("mycapdump did not start: {started:?}");
    }
    let sent = mixed_frames(link);
    let injector = pair.peer_injector(link).expect("peer injector");
    for (frame, _) in &sent {
        assert_eq!(
            injector.send(frame).expect("send a test frame"),
            frame.len()
        );
    }
    let mut lines = Vec::new();
    let deadline = Instant::now() + BOUND;
    while lines.len() < expect(&sent) {
        let left = deadline.saturating_duration_since(Instant::now());
        match stdout.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    thread::sleep(QUIET);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -INT mycapdump");
    let status = wait_bounded(&mut child, "mycapdump after SIGINT", BOUND);
    lines.extend(stdout.iter());
    let report: Vec<String> = stderr.iter().collect();
    assert!(status.success(), "mycapdump: {report:?}");
    Dump {
        sent,
        lines,
        report,
        ifname: link.a_if.clone(),
    }
}

/// (interface, packet type, caplen, len) → how many lines say so.
type Tally = BTreeMap<(String, String, String, String), usize>;

/// Counts mycapdump's lines by interface, packet type and lengths.
fn tally(lines: &[String]) -> Tally {
    let mut seen = Tally::new();
    for line in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 9, "{line}");
        let words = (f[3], f[5], f[7], f[8]);
        assert_eq!(words, ("caplen", "len", "linktype", "1"), "{line}");
        let key = (f[1].into(), f[2].into(), f[4].into(), f[6].into());
        *seen.entry(key).or_default() += 1;
    }
    seen
}

#[test]
fn mycapdump_sees_exactly_the_frames_sent_with_their_length_interface_and_type() {
    require_netns!();
    let Dump {
        sent,
        lines,
        report,
        ifname,
    } = dump_live(&[], |sent| sent.len());
    assert_eq!(lines.len(), sent.len(), "lines: {lines:#?}");
    let mut want = Tally::new();
    for (frame, pkttype) in &sent {
        let n = frame.len().to_string();
        let key = (ifname.clone(), (*pkttype).into(), n.clone(), n);
        *want.entry(key).or_default() += 1;
    }
    assert_eq!(tally(&lines), want);
    let n = sent.len();
    let summary = format!("{n} packets handled, {n} received, 0 dropped");
    assert!(report.contains(&summary), "{report:?}");
}

/// `tcpdump -dd arp`.
const ARP_ONLY: &str = "{ 0x28, 0, 0, 0x0000000c },
{ 0x15, 0, 1, 0x00000806 },
{ 0x6, 0, 0, 0x00040000 },
{ 0x6, 0, 0, 0x00000000 },
";

#[test]
fn a_bpf_program_and_a_snap_length_set_from_c_apply() {
    require_netns!();
    let bpf = TempDir::new("capi-bpf");
    let program = bpf.path().join("arp.bpf");
    std::fs::write(&program, ARP_ONLY).expect("write arp.bpf");
    let program = program.to_str().expect("a UTF-8 path");
    let is_arp = |f: &[u8]| f[12..14] == [0x08, 0x06];
    let Dump {
        sent,
        lines,
        report,
        ifname,
    } = dump_live(&["-s", "40", "-F", program], |sent| {
        sent.iter().filter(|(f, _)| is_arp(f)).count()
    });
    let arp: Vec<_> = sent.iter().filter(|(f, _)| is_arp(f)).collect();
    assert_eq!(lines.len(), arp.len(), "lines: {lines:#?}");
    let key = (ifname, "broadcast".into(), "40".into(), "42".into());
    assert_eq!(tally(&lines), Tally::from([(key, arp.len())]));
    let n = arp.len();
    let summary = format!("{n} packets handled, {n} received, 0 dropped");
    assert!(report.contains(&summary), "{report:?}");
}

/// An interface name as `mycap_header_t.ifname` holds it: up to a NUL, cut
/// to 15 bytes without splitting a character.
fn c_name(name: &str) -> &str {
    let name = name.split('\0').next().unwrap_or("");
    let mut n = name.len().min(15);
    while !name.is_char_boundary(n) {
        n -= 1;
    }
    &name[..n]
}

/// What `capi_check file PATH` prints, from the Rust API.
fn rust_lines(path: &Path) -> String {
    let mut out = String::new();
    let mut session = match Session::open_file(path) {
        Ok(session) => session,
        Err(e) => return format!("error {e}\n"),
    };
    let end = session.run(&mut |h: &PacketHeader<'_>, data: &[u8]| {
        let name = c_name(h.ifname);
        let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let (tci, tpid) = h.vlan.map_or((0, 0), |v| (v.tci, v.tpid));
        let _ = writeln!(
            out,
            "{} {} {} {} {} {} {tci} {tpid} {} {hash:016x}",
            h.caplen,
            h.len,
            h.ts_ns,
            h.ifindex,
            h.link_type.0,
            h.pkttype.to_sll(),
            name,
        );
        Verdict::Continue
    });
    match end {
        Ok(LoopEnd::Eof) => out.push_str("end 1\n"),
        Ok(_) => out.push_str("end 0\n"),
        Err(e) => {
            let _ = writeln!(out, "error {e}");
        }
    }
    out
}

/// A classic pcap (nanosecond timestamps) of three Ethernet frames, the
/// last one cut to 20 of its 60 bytes.
fn write_pcap(path: &Path) {
    let mut file = Vec::new();
    file.extend_from_slice(&0xa1b2_3c4d_u32.to_le_bytes()); // nanosecond pcap
    file.extend_from_slice(&2u16.to_le_bytes());
    file.extend_from_slice(&4u16.to_le_bytes());
    for v in [0u32, 0, 65_535, 1] {
        // zone, accuracy, snap length, LINKTYPE_ETHERNET
        file.extend_from_slice(&v.to_le_bytes());
    }
    let frame = |i: u8, n: usize| -> Vec<u8> { (0..n).map(|b| (b as u8) ^ i).collect() };
    for (i, (frame, len)) in [
        (frame(1, 60), 60u32),
        (frame(2, 98), 98),
        (frame(3, 20), 60),
    ]
    .into_iter()
    .enumerate()
    {
        let i = u32::try_from(i).expect("small");
        for v in [1_700_000_000 + i, 123_456_789 + i, frame.len() as u32, len] {
            file.extend_from_slice(&v.to_le_bytes());
        }
        file.extend_from_slice(&frame);
    }
    std::fs::write(path, file).expect("write the test pcap");
}

#[test]
fn mycap_open_file_gives_the_same_packets_as_the_rust_api() {
    let dir = TempDir::new("capi-file");
    let check = capi_check(&dir);
    let own = dir.path().join("three.pcap");
    write_pcap(&own);
    let mut files = vec![own];
    if let Some(corpus) = corpus::dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(corpus.join("pcap"))
            .expect("corpus folder")
            .map(|e| e.expect("corpus entry").path())
            .collect();
        names.sort();
        files.extend(names);
    }
    let mut differ = Vec::new();
    for path in &files {
        let arg = path.to_str().expect("a UTF-8 path");
        let out = run(&check, &["file", arg]);
        let c = text(&out.stdout);
        assert!(out.status.success(), "{arg}: {c}{}", text(&out.stderr));
        if c != rust_lines(path) {
            differ.push(arg.to_string());
        }
    }
    assert!(differ.is_empty(), "C and Rust differ on {differ:#?}");
    let own_lines = rust_lines(&files[0]);
    assert_eq!(own_lines.lines().count(), 4, "{own_lines}");
    assert!(
        own_lines.contains("20 60 1700000002123456791 0 1 "),
        "{own_lines}"
    );
}

#[test]
fn mycap_end_loop_from_the_handler_ends_the_loop_after_that_packet() {
    let dir = TempDir::new("capi-count");
    let pcap = dir.path().join("three.pcap");
    write_pcap(&pcap);
    let pcap = pcap.to_str().expect("a UTF-8 path");
    // mycapdump -c 2 calls mycap_end_loop in the handler of the 2nd packet.
    let out = run(&mycapdump(&dir), &["-r", pcap, "-c", "2"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "{}",
        text(&out.stdout)
    );
    assert!(stderr.contains("2 packets handled"), "{stderr}");
    // Without -c, the file's end: all three.
    let out = run(&mycapdump(&dir), &["-r", pcap]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 3);
}
