//! What each signal does to a run: end it cleanly, print the reports while it goes on, or reload the config (SIGHUP).
//!
//! Every signal whose default action would kill the process and that a
//! handler can take is in [`actions`]. The others keep their default, on
//! purpose:
//! - SIGKILL and SIGSTOP cannot be caught.
//! - SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP and SIGSYS report a fault of
//!   the instruction or system call the thread was running: a handler that
//!   returns runs it again, and the process's state is no longer to be
//!   trusted, so nothing could end cleanly. They keep their core dump.
//! - SIGABRT comes from `abort()` (a Rust abort, a failed assertion in C
//!   code): the process cannot go on, and a handler cannot stop `abort()`.
//! - SIGPIPE stays ignored, as the Rust runtime sets it: a write to a closed
//!   pipe fails with `EPIPE` instead, which the log plugin turns into the
//!   end of the run.
//! - SIGCHLD, SIGCONT, SIGURG and SIGWINCH are ignored by default, and
//!   SIGTSTP, SIGTTIN and SIGTTOU stop the process (job control).
//!
//! The handlers only set flags (see [`Requests`]); the control thread acts on them.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use libc::c_int;

/// The exit status when an ending signal comes while a first one is handled.
pub const INSISTED_STATUS: c_int = 130;

/// What a signal asks of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// End the run cleanly, as the end of the input does: plugins shut
    /// down, reports, exit status 0. An ending signal that comes while this
    /// end is handled exits at once with [`INSISTED_STATUS`], without
    /// reports (for a shutdown that hangs).
    End,
    /// End the run cleanly like [`Action::End`], but a repeat of it does not
    /// exit at once: the kernel sends these again by itself while the
    /// shutdown goes on (SIGXFSZ on every write past the file size limit,
    /// SIGXCPU every second of CPU time past the soft limit).
    EndOnce,
    /// Print every plugin's report and the capture counters on standard
    /// error, as at the end; the run goes on.
    Report,
    /// Read the config again and switch every worker to the new chain
    /// between two packets; the run goes on (see [`crate::reload`]).
    Reload,
}

/// Every signal that ends the process by default and can be handled, with
/// what it does instead.
pub fn actions() -> Vec<(c_int, Action)> {
    use Action::{End, EndOnce, Reload, Report};
    let mut table = vec![
        (libc::SIGHUP, Reload),
        (libc::SIGINT, End),
        (libc::SIGQUIT, End),
        (libc::SIGTERM, End),
        (libc::SIGUSR1, Report),
        (libc::SIGUSR2, End),
        (libc::SIGALRM, End),
        (libc::SIGSTKFLT, End),
        (libc::SIGXCPU, EndOnce),
        (libc::SIGXFSZ, EndOnce),
        (libc::SIGVTALRM, End),
        (libc::SIGPROF, End),
        (libc::SIGIO, End), // also known as SIGPOLL
        (libc::SIGPWR, End),
    ];
    // The C library keeps the real-time signals below SIGRTMIN for its threads.
    table.extend((libc::SIGRTMIN()..=libc::SIGRTMAX()).map(|signal| (signal, End)));
    table
}

/// The flags that the signal handlers set.
#[derive(Debug, Clone)]
pub struct Requests {
    /// Set by an ending signal: the run ends.
    pub end: Arc<AtomicBool>,
    /// Set by SIGUSR1: the reports are due on standard error.
    pub report: Arc<AtomicBool>,
    /// Set by SIGHUP: the config is to be read again.
    pub reload: Arc<AtomicBool>,
}

/// Installs a handler for every signal of [`actions`]; an ending signal
/// sets `end` (or exits with [`INSISTED_STATUS`] when `end` is already set,
/// for [`Action::End`]), SIGUSR1 sets `report`, SIGHUP `reload`.
///
/// # Errors
/// The one-line reason when a handler cannot be installed.
pub fn install(end: Arc<AtomicBool>) -> Result<Requests, String> {
    let report = Arc::new(AtomicBool::new(false));
    let reload = Arc::new(AtomicBool::new(false));
    for (signal, action) in actions() {
        let installed = match action {
            // The exit check goes first, so that it sees the flag as the
            // previous signal left it.
            Action::End => signal_hook::flag::register_conditional_shutdown(
                signal,
                INSISTED_STATUS,
                Arc::clone(&end),
            )
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&end))),
            Action::EndOnce => signal_hook::flag::register(signal, Arc::clone(&end)),
            Action::Report => signal_hook::flag::register(signal, Arc::clone(&report)),
            Action::Reload => signal_hook::flag::register(signal, Arc::clone(&reload)),
        };
        match installed {
            // A debugger or valgrind may keep real-time signals for itself:
            // the run goes on without those, which nobody sends it then.
            Err(e) if signal >= libc::SIGRTMIN() => {
                log::debug!("no handler for real-time signal {signal}: {e}");
            }
            other => {
                other.map_err(|e| format!("cannot install a handler for signal {signal}: {e}"))?;
            }
        }
    }
    Ok(Requests {
        end,
        report,
        reload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_that_kills_by_default_has_one_action_unless_it_cannot() {
        let not_handled = [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGTRAP,
            libc::SIGSYS,
            libc::SIGABRT,
            libc::SIGPIPE,
        ];
        let harmless = [
            libc::SIGCHLD,
            libc::SIGCONT,
            libc::SIGURG,
            libc::SIGWINCH,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
        ];
        let table = actions();
        for signal in 1..=libc::SIGRTMAX() {
            let listed = table.iter().filter(|(s, _)| *s == signal).count();
            let expected = !(not_handled.contains(&signal)
                || harmless.contains(&signal)
                || (signal > libc::SIGSYS && signal < libc::SIGRTMIN()));
            assert_eq!(listed, usize::from(expected), "signal {signal}");
        }
        let report: Vec<c_int> = table
            .iter()
            .filter(|(_, a)| *a == Action::Report)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(report, [libc::SIGUSR1]);
        let reload: Vec<c_int> = table
            .iter()
            .filter(|(_, a)| *a == Action::Reload)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(reload, [libc::SIGHUP]);
    }
}
