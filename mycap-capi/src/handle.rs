//! The session behind a C `mycap_t *`: its settings until activation, the mycap-core session after, its last error, and the loop.
//!
//! Safe Rust: the C entry points ([`crate::ffi`]) turn pointers into a
//! `&Handle` and call these methods. One thread uses a handle at a time; the
//! one exception is [`Handle::end_loop`], which only touches the breaker.

use std::any::Any;
use std::cell::{RefCell, RefMut};
use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use mycap_core::{
    BpfInsn, Breaker, CaptureConfig, Direction, Fanout, FanoutMode, LoopEnd, PacketHeader, Session,
};

use crate::header::{MycapHeader, NameCache};

/// What a settings error says once the session is active.
const ALREADY_ACTIVE: &str = "the session is already active: change settings before mycap_activate";
/// What any call on a session says while its loop runs the handler.
const BUSY: &str =
    "the session is running its loop: from inside the handler only mycap_end_loop and mycap_geterr may be called";

/// Where a session is in its life.
enum State {
    /// Created, not yet activated: the settings so far.
    Created(CaptureConfig),
    /// Open: a live socket or a capture file.
    Active(Session),
}

/// How a loop returned, as `mycap_loop` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopResult {
    /// `mycap_end_loop` ended it (0).
    Ended,
    /// The capture file has no more packets (1).
    EndOfFile,
}

/// A C session (`mycap_t`).
pub struct Handle {
    /// Set once at activation; the only field other threads (and signal
    /// handlers) touch, through [`Handle::end_loop`].
    pub(crate) breaker: OnceLock<Breaker>,
    state: RefCell<State>,
    error: RefCell<CString>,
}

impl Handle {
    /// A session on `ifname` (`None`, "" or "any": every interface), not yet activated.
    pub fn create(ifname: Option<&str>) -> Handle {
        let config = match ifname {
            Some(name) => CaptureConfig::interface(name),
            None => CaptureConfig::any(),
        };
        Handle::with_state(State::Created(config))
    }

    /// A session on the capture file at `path` (`-`: standard input).
    ///
    /// # Errors
    /// mycap-core's message when the file cannot be opened or is not a capture.
    pub fn open_file(path: &Path) -> Result<Handle, String> {
        let session = Session::open_file(path).map_err(|e| e.to_string())?;
        let handle = Handle::with_state(State::Active(session));
        handle.install_breaker();
        Ok(handle)
    }

    fn with_state(state: State) -> Handle {
        Handle {
            breaker: OnceLock::new(),
            state: RefCell::new(state),
            error: RefCell::new(CString::default()),
        }
    }

    fn install_breaker(&self) {
        if let Ok(state) = self.state.try_borrow() {
            if let State::Active(session) = &*state {
                let _ = self.breaker.set(session.breaker());
            }
        }
    }

    fn state(&self) -> Result<RefMut<'_, State>, String> {
        self.state.try_borrow_mut().map_err(|_| BUSY.to_string())
    }

    /// Changes a setting of a session not yet activated.
    ///
    /// # Errors
    /// The session is active or looping, or `change` refuses the value.
    pub fn configure(
        &self,
        change: impl FnOnce(CaptureConfig) -> Result<CaptureConfig, String>,
    ) -> Result<(), String> {
        let mut state = self.state()?;
        match &mut *state {
            State::Created(config) => {
                *config = change(config.clone())?;
                Ok(())
            }
            State::Active(_) => Err(ALREADY_ACTIVE.to_string()),
        }
    }

    /// Opens the socket and ring with the settings so far.
    ///
    /// # Errors
    /// mycap-core's message; the session then stays created.
    pub fn activate(&self) -> Result<(), String> {
        {
            let mut state = self.state()?;
            let session = match &*state {
                State::Created(config) => Session::open(config).map_err(|e| e.to_string())?,
                State::Active(_) => return Err(ALREADY_ACTIVE.to_string()),
            };
            *state = State::Active(session);
        }
        self.install_breaker();
        Ok(())
    }

    /// Runs the active session's loop, calling `on_packet` with the C header
    /// and the bytes of every packet.
    ///
    /// # Errors
    /// Not active, called from its own handler, or mycap-core's error. (A
    /// panic unwinds to the C entry point's guard, which reports it.)
    pub fn run(
        &self,
        mut on_packet: impl FnMut(&mut MycapHeader, &[u8]),
    ) -> Result<LoopResult, String> {
        let mut state = self.state()?;
        let State::Active(session) = &mut *state else {
            return Err("the session is not active: call mycap_activate first".to_string());
        };
        let mut c_header = MycapHeader::default();
        let mut name_cache = NameCache::default();
        // A panic in this closure's Rust code (filling the header) unwinds
        // through mycap-core's loop, Rust frames only, to the catch_unwind of
        // the C entry point (crate::ffi), which makes it mycap_loop's error:
        // it never crosses a C frame, since the C handler is not running then.
        let end = session.run(&mut |header: &PacketHeader<'_>, data: &[u8]| {
            c_header.fill(header, &mut name_cache);
            on_packet(&mut c_header, data);
            mycap_core::Verdict::Continue
        });
        match end.map_err(|e| e.to_string())? {
            LoopEnd::Eof => Ok(LoopResult::EndOfFile),
            _ => Ok(LoopResult::Ended),
        }
    }

    /// Ends the running loop (or the next one). Touches only the breaker:
    /// safe from any thread and from a signal handler.
    pub fn end_loop(breaker: &OnceLock<Breaker>) {
        if let Some(breaker) = breaker.get() {
            breaker.end();
        }
    }

    /// Received and dropped packets so far.
    ///
    /// # Errors
    /// Not active, looping, or the kernel's statistics failing.
    pub fn stats(&self) -> Result<(u64, u64), String> {
        let mut state = self.state()?;
        match &mut *state {
            State::Active(session) => session
                .stats()
                .map(|s| (s.received, s.dropped))
                .map_err(|e| e.to_string()),
            State::Created(_) => Err("the session is not active: call mycap_activate first".into()),
        }
    }

    /// Attaches a classic BPF program to the active live session.
    ///
    /// # Errors
    /// Not active, looping, a file session, or the kernel refusing it.
    pub fn set_filter(&self, program: &[BpfInsn]) -> Result<(), String> {
        let mut state = self.state()?;
        match &mut *state {
            State::Active(session) => session.set_filter(program).map_err(|e| e.to_string()),
            State::Created(_) => {
                Err("the session is not active: set the filter after mycap_activate".to_string())
            }
        }
    }

    /// The fanout group of the active session, if it joined one.
    ///
    /// # Errors
    /// Looping.
    pub fn fanout_group(&self) -> Result<Option<u16>, String> {
        let state = self.state()?;
        Ok(match &*state {
            State::Active(session) => session.fanout_group(),
            State::Created(_) => None,
        })
    }

    /// Closes the session.
    ///
    /// # Errors
    /// Looping (the handle must then stay alive), or closing failing (the
    /// handle is gone anyway).
    pub fn close(self) -> Result<(), String> {
        match self.state.into_inner() {
            State::Active(session) => session.close().map_err(|e| e.to_string()),
            State::Created(_) => Ok(()),
        }
    }

    /// Whether the loop is running its handler right now (the handle must not be freed).
    pub fn is_looping(&self) -> bool {
        self.state.try_borrow_mut().is_err()
    }

    /// Records `message` as the last error (a NUL in it becomes `?`).
    pub fn set_error(&self, message: &str) {
        if let Ok(mut error) = self.error.try_borrow_mut() {
            *error = c_string(message);
        }
    }

    /// The last error's message, NUL-terminated; valid until the next error.
    pub fn error(&self) -> *const std::ffi::c_char {
        match self.error.try_borrow() {
            Ok(error) => error.as_ptr(),
            Err(_) => c"".as_ptr(),
        }
    }
}

/// `message` as a C string, any NUL replaced by `?`.
pub fn c_string(message: &str) -> CString {
    CString::new(message.replace('\0', "?")).unwrap_or_default()
}

/// What a caught panic said, as an error message.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    format!("internal error in libmycap (please report): {what}")
}

/// A snap length from C, checked by mycap-core's one rule.
///
/// # Errors
/// Negative or out of range.
pub fn snaplen(value: i32) -> Result<u32, String> {
    let Ok(snaplen) = u32::try_from(value) else {
        return Err(format!(
            "snap length {value} is out of range ({} to {} bytes)",
            CaptureConfig::MIN_SNAPLEN,
            CaptureConfig::MAX_SNAPLEN
        ));
    };
    CaptureConfig::check_snaplen(snaplen)?;
    Ok(snaplen)
}

/// A block timeout from C milliseconds.
///
/// # Errors
/// Negative.
pub fn timeout(ms: i32) -> Result<Duration, String> {
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| format!("timeout {ms} ms is negative"))
}

/// `MYCAP_DIRECTION_*`.
///
/// # Errors
/// Any other value.
pub fn direction(value: i32) -> Result<Direction, String> {
    match value {
        0 => Ok(Direction::Both),
        1 => Ok(Direction::In),
        2 => Ok(Direction::Out),
        _ => Err(format!(
            "direction {value} is none of MYCAP_DIRECTION_BOTH (0), _IN (1), _OUT (2)"
        )),
    }
}

/// A fanout group (`MYCAP_FANOUT_NEW_GROUP` or 0 to 65535) and `MYCAP_FANOUT_*` mode.
///
/// # Errors
/// Any other group or mode.
pub fn fanout(group: i32, mode: i32) -> Result<Fanout, String> {
    let mode = match mode {
        0 => FanoutMode::Hash,
        1 => FanoutMode::LoadBalance,
        2 => FanoutMode::Cpu,
        _ => {
            return Err(format!(
                "fanout mode {mode} is none of MYCAP_FANOUT_HASH (0), _LB (1), _CPU (2)"
            ))
        }
    };
    if group == -1 {
        return Ok(Fanout::new_group(mode));
    }
    u16::try_from(group)
        .map(|id| Fanout::join(id, mode))
        .map_err(|_| {
            format!("fanout group {group} is not 0 to 65535 nor MYCAP_FANOUT_NEW_GROUP (-1)")
        })
}

/// A C string argument as bytes, or the error naming it when NULL.
pub fn arg_bytes<'a>(value: Option<&'a CStr>, what: &str) -> Result<&'a [u8], String> {
    value
        .map(CStr::to_bytes)
        .ok_or_else(|| format!("{what} is NULL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_c_are_checked() {
        assert_eq!(snaplen(64), Ok(64));
        assert_eq!(
            snaplen(-5).unwrap_err(),
            "snap length -5 is out of range (1 to 16777216 bytes)"
        );
        assert!(snaplen(0).is_err());
        assert!(timeout(-1).is_err());
        assert_eq!(timeout(25), Ok(Duration::from_millis(25)));
        assert_eq!(direction(1), Ok(Direction::In));
        assert!(direction(3).is_err());
        assert_eq!(
            fanout(-1, 1),
            Ok(Fanout::new_group(FanoutMode::LoadBalance))
        );
        assert_eq!(fanout(7, 0), Ok(Fanout::join(7, FanoutMode::Hash)));
        assert!(fanout(70_000, 0).is_err());
        assert!(fanout(1, 9).is_err());
    }

    #[test]
    fn a_created_session_takes_settings_and_an_active_one_refuses_them() {
        let handle = Handle::create(Some("lo"));
        assert!(handle.configure(|c| Ok(c.snaplen(128))).is_ok());
        assert!(handle.stats().is_err());
        assert!(handle.run(|_, _| {}).is_err());
        assert_eq!(c_string("bad\0thing").to_str(), Ok("bad?thing"));
    }
}
