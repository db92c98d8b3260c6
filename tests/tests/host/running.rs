//! netraf-host running in the background for a test: its output in files of the test's folder, every wait bounded, signals, a pipe to feed, killed on drop.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{host, Output, TempDir};

/// How long a test waits for anything before it fails (and kills the host).
pub(super) const LIMIT: Duration = Duration::from_secs(20);

/// netraf-host running in the background, killed on drop if still running.
pub(super) struct Running {
    child: Child,
    /// The write end of the host's standard input, when started piped.
    stdin: Option<ChildStdin>,
    dir: PathBuf,
}

impl Running {
    /// Starts the host in `dir` with `args`, its standard input empty.
    pub(super) fn start(dir: &TempDir, args: &[&str]) -> Running {
        Running::spawn(dir, args, Stdio::null())
    }

    /// Starts the host in `dir` with `args`, its standard input a pipe that
    /// the test holds open (see [`Running::feed`]).
    pub(super) fn start_piped(dir: &TempDir, args: &[&str]) -> Running {
        Running::spawn(dir, args, Stdio::piped())
    }

    fn spawn(dir: &TempDir, args: &[&str], stdin: Stdio) -> Running {
        let mut child = Command::new(host())
            .current_dir(&dir.path)
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(stdin)
            .stdout(std::fs::File::create(dir.path.join("stdout")).expect("stdout file"))
            .stderr(std::fs::File::create(dir.path.join("stderr")).expect("stderr file"))
            .spawn()
            .expect("start netraf-host");
        let stdin = child.stdin.take();
        Running {
            child,
            stdin,
            dir: dir.path.clone(),
        }
    }

    /// The host's process id.
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the host wrote on standard error so far.
    pub(super) fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }

    /// Fails if the host has ended.
    pub(super) fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("netraf-host ended ({status}) too early:\n{}", self.stderr());
        }
    }

    /// Waits (bounded) until the host's standard error contains `text`.
    pub(super) fn wait_for(&mut self, text: &str) {
        let started = Instant::now();
        while !self.stderr().contains(text) {
            self.assert_running();
            assert!(
                started.elapsed() < LIMIT,
                "netraf-host never said {text:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) until the host says it captures.
    pub(super) fn wait_capturing(&mut self) {
        self.wait_for("capturing from");
    }

    /// Sends `signal`.
    pub(super) fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        // SAFETY: kill(2) on our own child's pid, which has not been reaped
        // yet (we hold its Child), with a valid signal number.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Writes `bytes` into the host's pipe, which stays open.
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("the host reads the test's pipe");
        stdin.write_all(bytes).expect("write into the host's pipe");
        stdin.flush().expect("flush the pipe");
    }

    /// Waits (bounded) until the host has read everything in its pipe, then
    /// a little more so that it handles what it read and waits for more.
    pub(super) fn wait_drained(&mut self) {
        let fd = self.stdin.as_ref().expect("a pipe").as_raw_fd();
        let started = Instant::now();
        loop {
            let mut queued: libc::c_int = 0;
            // SAFETY: FIONREAD on our own open pipe writes one c_int into `queued`.
            #[allow(unsafe_code)]
            let rc = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut queued) };
            assert_eq!(rc, 0, "FIONREAD: {}", std::io::Error::last_os_error());
            if queued == 0 {
                break;
            }
            self.assert_running();
            assert!(
                started.elapsed() < LIMIT,
                "netraf-host left {queued} bytes in its pipe:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        self.assert_running();
    }

    /// Waits at most `limit` for the end (a pipe stays open); kills the host
    /// and fails after that.
    pub(super) fn wait_end(&mut self, limit: Duration) -> Output {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "netraf-host still running {limit:?} after the end was asked; killed:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Output {
            code: status.code(),
            stdout: std::fs::read_to_string(self.dir.join("stdout")).unwrap_or_default(),
            stderr: self.stderr(),
        }
    }

    /// Closes the host's pipe (the end of its input) and waits (bounded)
    /// for the end.
    pub(super) fn close_input_and_wait(mut self) -> Output {
        self.stdin = None;
        self.wait_end(LIMIT)
    }

    /// Sends `signal` and waits (bounded) for the end.
    pub(super) fn signal_and_wait(mut self, signal: i32) -> Output {
        self.signal(signal);
        self.wait_end(LIMIT)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
