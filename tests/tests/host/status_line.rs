//! netraf-host's status line: drawn about once a second when standard error is a terminal (a pseudo-terminal the test opens), over a capture file fed slowly through a pipe, ending with the final totals and cleared before the reports; absent when standard error is a file or with -q.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::frames::{pcap_bytes, traffic};
use super::running::{Running, LIMIT};
use super::util::{host, wait_bounded, TempDir};

/// Clears the line before the status is drawn (or anything else written).
const CLEAR: &str = "\r\x1b[K";

/// The known traffic 10 times over (120 frames), times increasing.
fn frames() -> Vec<(u64, Vec<u8>)> {
    let once = traffic();
    (0..10u64)
        .flat_map(|round| {
            once.iter()
                .map(move |(ts, f)| (ts + round * 10_000_000_000, f.clone()))
        })
        .collect()
}

/// A pseudo-terminal: the side the test reads, the side the host writes.
#[allow(unsafe_code)]
fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the two ints; the name,
    // termios and window size may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened for us and nothing else owns them.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Runs the host reading `-r -` with `args`, its standard error on a
/// terminal (its standard output too with `stdout_too`): feeds `first` pcap
/// bytes, waits `pause`, feeds `rest`, closes the pipe; returns what the
/// terminal showed and the exit code.
fn run_on_terminal(
    args: &[&str],
    stdout_too: bool,
    (first, pause, rest): (&[u8], Duration, &[u8]),
) -> (String, i32) {
    let dir = TempDir::new("status-line");
    let (master, slave) = open_pty();
    let stdout = if stdout_too {
        Stdio::from(slave.try_clone().expect("a second terminal descriptor"))
    } else {
        Stdio::null()
    };
    let mut command = Command::new(host());
    command
        .current_dir(&dir.path)
        .args(["-r", "-"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::from(slave));
    let mut child = command.spawn().expect("start netraf-host");
    // The terminal's last writer is the host: its end shows as the end of the reads.
    drop(command);
    let reader = std::thread::spawn(move || {
        let mut terminal = File::from(master);
        let mut shown = Vec::new();
        let mut chunk = [0u8; 4096];
        // EIO once every writer has closed the terminal.
        while let Ok(n @ 1..) = terminal.read(&mut chunk) {
            shown.extend_from_slice(&chunk[..n]);
        }
        shown
    });
    let mut stdin = child.stdin.take().expect("a pipe");
    stdin.write_all(first).expect("feed");
    stdin.flush().expect("flush");
    std::thread::sleep(pause);
    stdin.write_all(rest).expect("feed");
    drop(stdin);
    let status = wait_bounded(&mut child, LIMIT, "netraf-host, its input ended,");
    let shown = reader.join().expect("the terminal's reader");
    (
        String::from_utf8_lossy(&shown).into_owned(),
        status.code().unwrap_or(-1),
    )
}

/// Every status line drawn: the text after each clearing that starts with
/// the elapsed time, up to the next return or newline.
fn status_lines(shown: &str) -> Vec<&str> {
    shown
        .split(CLEAR)
        .skip(1)
        .map(|after| after.split(['\r', '\n']).next().unwrap_or_default())
        .filter(|text| {
            text.split(" | ")
                .next()
                .is_some_and(|t| t.matches(':').count() == 2)
        })
        .collect()
}

#[test]
fn a_terminal_gets_a_status_line_every_second_with_the_final_totals() {
    let all = frames();
    let first = pcap_bytes(&all[..60]);
    let whole = pcap_bytes(&all);
    let (shown, code) = run_on_terminal(
        &["-w", "out.pcap"],
        false,
        (&first, Duration::from_millis(2600), &whole[first.len()..]),
    );
    assert_eq!(code, 0, "{shown:?}");
    let lines = status_lines(&shown);
    // At about 1 s and 2 s into the pause, and the final one.
    assert!(lines.len() >= 3, "{lines:?} in {shown:?}");
    assert!(
        lines.iter().any(|l| l.contains(" | 60 packets | ")),
        "the first half counted during the pause: {lines:?}"
    );
    let last = lines.last().copied().unwrap_or_default();
    for field in [
        " packets/s ",
        "B/s | ",
        " | 120 packets | ",
        " | 0 dropped",
        " | busiest: ",
    ] {
        assert!(
            last.contains(field),
            "no {field:?} in the last line {last:?}"
        );
    }
    // Cleared before the reports: they start on a clean line, never after
    // a status.
    let last_at = shown.rfind(last).expect("the last status line");
    let after = &shown[last_at + last.len()..];
    assert!(after.starts_with(CLEAR), "{after:?}");
    assert!(after.contains("120 packets captured"), "{after:?}");
    for line in shown.split('\n') {
        if line.contains("packets captured") || line.starts_with("count: ") {
            assert!(
                !line.contains("packets/s"),
                "a report mixed with the status: {line:?}"
            );
        }
    }
}

#[test]
fn no_status_line_with_q_or_when_standard_error_is_not_a_terminal() {
    let whole = pcap_bytes(&frames());
    let slowly = (whole.as_slice(), Duration::from_millis(1300), &[][..]);
    // -q; and the text log on the same terminal, which the line would garble.
    for (args, stdout_too) in [(&["-q"][..], false), (&[][..], true)] {
        let (shown, code) = run_on_terminal(args, stdout_too, slowly);
        assert_eq!(code, 0, "{shown:?}");
        assert!(shown.contains("120 packets captured"), "{shown:?}");
        assert!(
            !shown.contains("\x1b[K") && !shown.contains("packets/s"),
            "{args:?}: {shown:?}"
        );
    }

    let dir = TempDir::new("status-line-file");
    let mut running = Running::start_piped(&dir, &["-r", "-"]);
    running.feed(&whole);
    std::thread::sleep(Duration::from_millis(1300));
    running.wait_drained();
    let stdin_closed = running.close_input_and_wait();
    assert_eq!(stdin_closed.code, Some(0), "{stdin_closed}");
    assert!(
        stdin_closed.stderr.contains("120 packets captured"),
        "{stdin_closed}"
    );
    assert!(
        !stdin_closed.stderr.contains("\x1b[K") && !stdin_closed.stderr.contains("packets/s"),
        "{stdin_closed}"
    );
}
