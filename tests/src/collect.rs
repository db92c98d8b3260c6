//! Running a session's loop with a deadline and keeping owned copies of what it delivered.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use mycap_core::{
    Breaker, Error, LinkType, LoopEnd, PacketHeader, PacketType, Session, StrippedVlan, Verdict,
};

/// An owned copy of one delivered packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// Capture time, nanoseconds since the epoch.
    pub ts_ns: u64,
    /// Bytes captured.
    pub caplen: u32,
    /// Length on the wire.
    pub len: u32,
    /// Interface index.
    pub ifindex: u32,
    /// Interface name.
    pub ifname: String,
    /// Packet type.
    pub pkttype: PacketType,
    /// Link type.
    pub link_type: LinkType,
    /// Stripped VLAN tag.
    pub vlan: Option<StrippedVlan>,
    /// The captured bytes.
    pub data: Vec<u8>,
}

impl Captured {
    /// Copies a packet the handler got.
    pub fn new(header: &PacketHeader<'_>, data: &[u8]) -> Captured {
        Captured {
            ts_ns: header.ts_ns,
            caplen: header.caplen,
            len: header.len,
            ifindex: header.ifindex,
            ifname: header.ifname.to_string(),
            pkttype: header.pkttype,
            link_type: header.link_type,
            vlan: header.vlan,
            data: data.to_vec(),
        }
    }
}

/// How long a loop may take to return after [`Breaker::end`] before the
/// watchdog gives up on the whole test process.
pub const END_GRACE: Duration = Duration::from_secs(5);

/// Calls [`Breaker::end`] once `timeout` passes, unless dropped first. If the
/// loop still has not returned [`END_GRACE`] later, `end()` is broken and the
/// test could hang forever: the watchdog then exits the process with an error.
#[derive(Debug)]
pub struct Watchdog {
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Arms a watchdog on `breaker`.
    pub fn arm(breaker: Breaker, timeout: Duration) -> Watchdog {
        let (cancel, wait) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
                breaker.end();
                if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(END_GRACE) {
                    eprintln!(
                        "a capture loop did not return within {END_GRACE:?} of Breaker::end(); \
                         exiting instead of hanging"
                    );
                    crate::netns::remove_all();
                    std::process::exit(101);
                }
            }
        });
        Watchdog {
            cancel: Some(cancel),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the loop until `count` packets arrived (then stops, leaving the rest
/// in the ring) or `timeout` passed (then a breaker ends it). Returns the
/// copies and why the loop returned.
///
/// # Errors
/// The loop failing.
pub fn collect(
    session: &mut Session,
    count: usize,
    timeout: Duration,
) -> Result<(Vec<Captured>, LoopEnd), Error> {
    let mut got = Vec::with_capacity(count.min(1024));
    if count == 0 {
        return Ok((got, LoopEnd::ByHandler));
    }
    let _watchdog = Watchdog::arm(session.breaker(), timeout);
    let end = session.run(&mut |h: &PacketHeader<'_>, d: &[u8]| {
        got.push(Captured::new(h, d));
        if got.len() >= count {
            Verdict::End
        } else {
            Verdict::Continue
        }
    })?;
    Ok((got, end))
}

/// Runs the loop for `window` and returns everything it delivered: used after
/// [`collect`] to show that nothing more (no duplicate, nothing stray) arrives.
///
/// # Errors
/// The loop failing.
pub fn collect_for(session: &mut Session, window: Duration) -> Result<Vec<Captured>, Error> {
    let (got, _) = collect(session, usize::MAX, window)?;
    Ok(got)
}
