//! The log's text lines against the real `tcpdump -n -S -e` on the public capture corpus: frame by frame, TCP flags, seq, ack, win and length, ARP addresses, ICMP names and VLAN tags must be the same.
//!
//! Skips (saying why) when the corpus or tcpdump is missing, fails instead
//! when env `CI=true`. The log runs over each file through
//! `plugin_api::TestKit`, as netraf's host would run it, writing its text
//! to a temporary file.

use std::path::{Path, PathBuf};
use std::process::Command;

use netraf_log::Log;
use plugin_api::TestKit;

/// Fewer frames compared than this means the comparison did not really run.
const MIN_TCP: usize = 2000;
const MIN_ARP: usize = 100;
const MIN_ICMP: usize = 20;
const MIN_VLAN: usize = 20;

/// Prints why the test skips, or panics when env `CI=true`.
fn skip(reason: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{reason}");
    }
    eprintln!("skipping: {reason}");
}

/// The corpus folder: env `NETRAF_CORPUS`, else `<workspace root>/../shared/corpus`.
fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("NETRAF_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    if dir.join("pcap").is_dir() {
        return Some(dir);
    }
    skip(&format!(
        "capture corpus not found at {} (set NETRAF_CORPUS to its folder)",
        dir.display()
    ));
    None
}

fn tcpdump_runs() -> bool {
    let runs = Command::new("tcpdump")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !runs {
        skip("`tcpdump` is not installed (apt-get install tcpdump)");
    }
    runs
}

/// tcpdump's line of each frame of `file` it read, and whether it read the whole file.
fn tcpdump_lines(file: &Path) -> (Vec<String>, bool) {
    let Ok(out) = Command::new("tcpdump")
        .args(["-n", "-S", "-e", "-tt", "-r"])
        .arg(file)
        .output()
    else {
        return (Vec::new(), false);
    };
    // A frame's line starts with its time (`-tt`: seconds.micros); the
    // other lines are a printer's (a tunnel's inner packet, continuations).
    let starts_frame = |line: &str| {
        line.split_once(' ').is_some_and(|(time, _)| {
            time.split_once('.').is_some_and(|(s, us)| {
                !s.is_empty()
                    && !us.is_empty()
                    && (s.bytes().chain(us.bytes())).all(|b| b.is_ascii_digit())
            })
        })
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let lines = text.lines().filter(|line| starts_frame(line));
    (lines.map(str::to_string).collect(), out.status.success())
}

/// The log's text line of each frame of `file` it read, and whether it read the whole file.
fn netraf_lines(file: &Path, scratch: &Path) -> (Vec<String>, bool) {
    let output = scratch.join("log.txt");
    let _ = std::fs::remove_file(&output);
    let config = format!(
        "output = {:?}\nformat = \"text\"\n",
        output.display().to_string()
    );
    let mut kit = TestKit::new::<Log>(&config).expect("the log starts");
    let read = kit.file(file);
    kit.finish().expect("the log finishes");
    let text = std::fs::read_to_string(&output).expect("the log's output");
    (text.lines().map(str::to_string).collect(), read.is_ok())
}

/// The value after `key ` in `text`, up to a comma, space or colon.
fn value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text.find(&format!("{key} "))? + key.len() + 1;
    let rest = &text[at..];
    let end = rest.find([',', ' ', ':']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The TCP words of a netraf line: flags, seq, ack, win, length.
fn netraf_tcp(line: &str) -> Option<[Option<String>; 5]> {
    let at = line.find(" flags [")?;
    let words = &line[at..line.rfind(" len ").unwrap_or(line.len())];
    // tcpdump 4.99 has no letter for AE (`e`, written by later versions).
    let flags = words[8..].split(']').next().map(|f| {
        if f == "none" {
            f.to_string()
        } else {
            f.replace('e', "")
        }
    });
    let get = |key| value(words, key).map(str::to_string);
    Some([flags, get(" seq"), get(" ack"), get(" win"), get(" length")])
}

/// The same words of a tcpdump line.
fn tcpdump_tcp(line: &str) -> Option<[Option<String>; 5]> {
    let at = line.find("Flags [")?;
    let words = &line[at..];
    let flags = words[7..].split(']').next().map(str::to_string);
    let get = |key| value(words, key).map(str::to_string);
    Some([
        flags,
        get(", seq"),
        get(", ack"),
        get(", win"),
        get(", length"),
    ])
}

/// Whether a netraf line's frame was cut short by the snap length (`len CAPLEN/LEN` differ).
fn cut_short(line: &str) -> bool {
    let lens = line.rsplit(" len ").next().unwrap_or_default();
    lens.split_once('/')
        .is_some_and(|(caplen, len)| caplen != len)
}

/// The VLAN ids of a tcpdump `-e` line, outermost first.
fn tcpdump_vlans(line: &str) -> Vec<String> {
    line.match_indices("vlan ")
        .filter_map(|(at, _)| {
            let rest = &line[at + 5..];
            let id = rest.split(',').next()?;
            (rest[id.len()..].starts_with(", p ") && id.bytes().all(|b| b.is_ascii_digit()))
                .then(|| id.to_string())
        })
        .collect()
}

/// Whether the words of `name` appear in `line` in order.
fn words_in_order(line: &str, name: &str) -> bool {
    let mut rest = line;
    for word in name.split(' ') {
        match rest.find(word) {
            Some(at) => rest = &rest[at + word.len()..],
            None => return false,
        }
    }
    true
}

/// ICMP names tcpdump words otherwise: `address mask is 0x...` for a mask reply.
const ICMP_NAMES_TCPDUMP_WORDS_OTHERWISE: [&str; 1] = ["address mask reply"];

#[derive(Default)]
struct Tally {
    tcp: usize,
    arp: usize,
    icmp: usize,
    vlan: usize,
    files: usize,
    /// Frames whose lines were compared (whatever they hold).
    frames: usize,
    /// Frames where tcpdump could not read what netraf did.
    tolerated: usize,
    differences: Vec<String>,
}

impl Tally {
    fn compare(&mut self, file: &str, frame: usize, ours: &str, theirs: &str) {
        let mut differ = |what: &str| {
            self.differences.push(format!(
                "{file} frame {}: {what}\n  netraf:  {ours}\n  tcpdump: {theirs}",
                frame + 1
            ));
        };
        if let Some(mut tcp) = netraf_tcp(ours) {
            match tcpdump_tcp(theirs) {
                Some(mut want) => {
                    if cut_short(ours) {
                        // netraf's length counts the payload bytes captured,
                        // tcpdump's the IP header's length.
                        for i in [1, 4] {
                            tcp[i] = tcp[i]
                                .as_deref()
                                .map(|v| v.split(':').next().unwrap_or(v).to_string());
                            want[i] = want[i]
                                .as_deref()
                                .map(|v| v.split(':').next().unwrap_or(v).to_string());
                        }
                        (tcp[4], want[4]) = (None, None);
                    }
                    if want == tcp {
                        self.tcp += 1;
                    } else {
                        differ(&format!("TCP {tcp:?} != {want:?}"));
                    }
                }
                // tcpdump gave up on the TCP header that netraf read (an
                // IPv6 "BIG TCP" packet, whose payload length field is 0).
                None if theirs.ends_with("[|tcp]") => self.tolerated += 1,
                None => differ("TCP where tcpdump has no flags"),
            }
        }
        if let Some(at) = ours.find(" ARP ") {
            let words = &ours[at + 5..ours.rfind(" len ").unwrap_or(ours.len())];
            if words.contains(" who-has ") || words.contains(" is-at ") {
                if theirs.contains(&format!(" {words},")) {
                    self.arp += 1;
                } else {
                    differ(&format!("ARP `{words}`"));
                }
            }
        }
        for (ours_at, theirs_at) in [(" ICMP ", " ICMP "), (" ICMPv6 ", " ICMP6, ")] {
            let Some(at) = ours.find(ours_at) else {
                continue;
            };
            let words = &ours[at + ours_at.len()..];
            // The name sits between the destination and ` type N code N`.
            let name_at = words.find(" > ").map_or(0, |a| a + 3);
            let words = &words[name_at..words.find(" type ").unwrap_or(name_at)];
            let Some((_, name)) = words.split_once(' ') else {
                continue;
            };
            if ICMP_NAMES_TCPDUMP_WORDS_OTHERWISE.contains(&name) {
                continue;
            }
            match theirs.find(theirs_at) {
                Some(t) if words_in_order(&theirs[t..], name) => self.icmp += 1,
                _ => differ(&format!("ICMP name `{name}`")),
            }
        }
        if let Some(at) = ours.find(" vlan ") {
            let tags = ours[at + 6..].split(' ').next().unwrap_or_default();
            let tags: Vec<String> = tags.split(',').map(str::to_string).collect();
            let want = tcpdump_vlans(theirs);
            if tags == want {
                self.vlan += 1;
            } else {
                differ(&format!("VLAN {tags:?} != {want:?}"));
            }
        }
    }
}

impl Tally {
    /// Compares every frame of `file` that both tcpdump and the log read,
    /// with `scratch` for the log's output.
    fn compare_file(&mut self, file: &Path, scratch: &Path) {
        let name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (theirs, tcpdump_whole) = tcpdump_lines(file);
        let (ours, netraf_whole) = netraf_lines(file, scratch);
        if !tcpdump_whole || !netraf_whole {
            // A file cut short or that one reader refuses part of: the
            // frames both read, from the start, are the same frames.
            eprintln!(
                "{name}: the first {} frames compared (tcpdump read {}{}, netraf {}{})",
                theirs.len().min(ours.len()),
                theirs.len(),
                if tcpdump_whole { "" } else { ", then failed" },
                ours.len(),
                if netraf_whole { "" } else { ", then failed" },
            );
        } else if theirs.len() != ours.len() {
            eprintln!(
                "{name}: not compared ({} tcpdump lines, {} netraf lines)",
                theirs.len(),
                ours.len()
            );
            return;
        }
        self.files += 1;
        self.frames += ours.len().min(theirs.len());
        for (frame, (ours, theirs)) in ours.iter().zip(&theirs).enumerate() {
            self.compare(&name, frame, ours, theirs);
        }
    }

    fn assert_no_differences(&self) {
        eprintln!(
            "compared {} frames of {} files: {} TCP, {} ARP, {} ICMP, {} VLAN frames \
             ({} frames tcpdump could not read)",
            self.frames, self.files, self.tcp, self.arp, self.icmp, self.vlan, self.tolerated
        );
        assert!(
            self.differences.is_empty(),
            "{} differences from tcpdump:\n{}",
            self.differences.len(),
            self.differences.join("\n")
        );
    }
}

/// A fresh scratch folder for one test.
fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netraf-log-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

#[test]
fn text_lines_match_tcpdump_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    if !tcpdump_runs() {
        return;
    }
    let scratch = scratch("tcpdump-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("pcap"))
        .expect("the corpus folder")
        .map(|entry| entry.expect("a corpus file").path())
        .collect();
    files.sort();
    let mut tally = Tally::default();
    for file in &files {
        tally.compare_file(file, &scratch);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    tally.assert_no_differences();
    for (kind, compared, least) in [
        ("TCP", tally.tcp, MIN_TCP),
        ("ARP", tally.arp, MIN_ARP),
        ("ICMP", tally.icmp, MIN_ICMP),
        ("VLAN", tally.vlan, MIN_VLAN),
    ] {
        assert!(
            compared >= least,
            "only {compared} {kind} frames compared (at least {least} expected)"
        );
    }
}

/// Ethernet frames 02:..:01 > 02:..:02 of every TCP flag combination, ARP
/// form and ICMP/ICMPv6 message the log names, some in the corpus, others not.
fn hand_built_frames() -> Vec<Vec<u8>> {
    fn ethernet(ethertype: u16, body: &[u8]) -> Vec<u8> {
        let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
        frame.extend(ethertype.to_be_bytes());
        frame.extend(body);
        frame.resize(frame.len().max(60), 0);
        frame
    }
    fn ipv4(proto: u8, body: &[u8]) -> Vec<u8> {
        let mut packet = vec![0x45, 0];
        packet.extend(u16::try_from(20 + body.len()).unwrap().to_be_bytes());
        packet.extend([0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        packet.extend(body);
        packet
    }
    fn ipv6(body: &[u8]) -> Vec<u8> {
        let mut packet = vec![0x60, 0, 0, 0];
        packet.extend(u16::try_from(body.len()).unwrap().to_be_bytes());
        packet.extend([
            58, 255, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        ]);
        packet.extend([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        packet.extend(body);
        packet
    }
    let mut frames = Vec::new();
    for flags in [
        0x002u16, 0x012, 0x010, 0x018, 0x011, 0x019, 0x004, 0x014, 0x0c2, 0x052, 0x030, 0x090,
        0x000, 0x03f,
    ] {
        for payload in [0usize, 10] {
            let mut segment = vec![0x9c, 0x40, 0, 80, 0x80, 0, 0, 1, 0, 0, 0x30, 0x39];
            segment.extend((0x5000 | flags).to_be_bytes());
            segment.extend([0x20, 0, 0, 0, 0, 0]);
            segment.resize(20 + payload, b'x');
            frames.push(ethernet(0x0800, &ipv4(6, &segment)));
        }
    }
    let mac = [2, 0, 0, 0, 0, 1];
    for (op, target_mac) in [
        (1u8, [0u8; 6]),
        (1, [2, 0, 0, 0, 0, 2]),
        (2, [2, 0, 0, 0, 0, 2]),
    ] {
        let mut body = vec![0, 1, 8, 0, 6, 4, 0, op];
        body.extend(mac);
        body.extend([10, 0, 0, 1]);
        body.extend(target_mac);
        body.extend([10, 0, 0, 2]);
        frames.push(ethernet(0x0806, &body));
    }
    // An error message quotes the packet it answers: IPv4, UDP 5353 > 53.
    let quoted = ipv4(17, &[0x14, 0xe9, 0, 53, 0, 8, 0, 0]);
    for (icmp_type, code) in [
        (0u8, 0u8),
        (8, 0),
        (3, 0),
        (3, 1),
        (3, 2),
        (3, 3),
        (3, 4),
        (3, 5),
        (3, 6),
        (3, 7),
        (3, 8),
        (3, 9),
        (3, 10),
        (3, 11),
        (3, 12),
        (3, 13),
        (3, 14),
        (3, 15),
        (4, 0),
        (5, 0),
        (5, 1),
        (5, 2),
        (5, 3),
        (9, 0),
        (10, 0),
        (11, 0),
        (11, 1),
        (12, 0),
        (13, 0),
        (14, 0),
        (15, 0),
        (16, 0),
        (17, 0),
    ] {
        let mut message = vec![icmp_type, code, 0, 0, 0, 0, 0, 0];
        message.extend(&quoted);
        message.resize(64, 0);
        frames.push(ethernet(0x0800, &ipv4(1, &message)));
    }
    for icmp_type in [1u8, 2, 3, 4, 128, 129, 130, 133, 134, 135, 136, 143] {
        let mut message = vec![icmp_type, 0, 0, 0];
        message.resize(32, 0);
        frames.push(ethernet(0x86dd, &ipv6(&message)));
    }
    frames
}

/// The hand-built frames as a pcap file (Ethernet, microseconds).
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut file = Vec::new();
    for word in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65_535, 1] {
        file.extend(word.to_le_bytes());
    }
    for (i, frame) in frames.iter().enumerate() {
        let len = u32::try_from(frame.len()).unwrap();
        for word in [1_700_000_000, u32::try_from(i).unwrap(), len, len] {
            file.extend(word.to_le_bytes());
        }
        file.extend(frame);
    }
    file
}

#[test]
fn text_lines_match_tcpdump_on_hand_built_frames() {
    if !tcpdump_runs() {
        return;
    }
    let scratch = scratch("tcpdump-frames");
    let frames = hand_built_frames();
    let file = scratch.join("frames.pcap");
    std::fs::write(&file, pcap(&frames)).expect("the pcap file");
    let mut tally = Tally::default();
    tally.compare_file(&file, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    tally.assert_no_differences();
    // Every frame had its TCP, ARP or ICMP words checked.
    assert_eq!(tally.frames, frames.len());
    assert_eq!(tally.tcp + tally.arp + tally.icmp, frames.len());
}
