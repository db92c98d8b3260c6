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
    let flags = words[8..].split(']').next().map(|f| f.replace('e', ""));
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

#[test]
fn text_lines_match_tcpdump_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    if !tcpdump_runs() {
        return;
    }
    let scratch = std::env::temp_dir().join(format!("netraf-log-tcpdump-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch folder");
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("pcap"))
        .expect("the corpus folder")
        .map(|entry| entry.expect("a corpus file").path())
        .collect();
    files.sort();
    let mut tally = Tally::default();
    for file in &files {
        let name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (theirs, ours) = (tcpdump_lines(file), netraf_lines(file, &scratch));
        let ((theirs, tcpdump_whole), (ours, netraf_whole)) = (theirs, ours);
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
            continue;
        }
        tally.files += 1;
        tally.frames += ours.len().min(theirs.len());
        for (frame, (ours, theirs)) in ours.iter().zip(&theirs).enumerate() {
            tally.compare(&name, frame, ours, theirs);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "compared {} frames of {} files: {} TCP, {} ARP, {} ICMP, {} VLAN frames ({} frames tcpdump could not read)",
        tally.frames, tally.files, tally.tcp, tally.arp, tally.icmp, tally.vlan, tally.tolerated
    );
    assert!(
        tally.differences.is_empty(),
        "{} differences from tcpdump:\n{}",
        tally.differences.len(),
        tally.differences.join("\n")
    );
    assert!(
        tally.tcp >= MIN_TCP,
        "only {} TCP frames compared",
        tally.tcp
    );
    assert!(
        tally.arp >= MIN_ARP,
        "only {} ARP frames compared",
        tally.arp
    );
    assert!(
        tally.icmp >= MIN_ICMP,
        "only {} ICMP frames compared",
        tally.icmp
    );
    assert!(
        tally.vlan >= MIN_VLAN,
        "only {} VLAN frames compared",
        tally.vlan
    );
}
