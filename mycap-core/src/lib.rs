//! MYCAP: a small packet-capture library on raw `AF_PACKET` sockets.
//!
//! Three steps, as the original design has it:
//!
//! 1. **open** a [`Session`] on one interface or on all of them ([`CaptureConfig`]);
//! 2. **run** the capture loop with a [`Handler`]: it gets every packet as a
//!    [`PacketHeader`] and the raw bytes, borrowed straight from the kernel's ring,
//!    and answers [`Verdict::Continue`] or [`Verdict::End`]. The loop also ends
//!    from any other thread through a [`Breaker`], and can be run again later;
//! 3. **close** the session (or drop it): the socket is closed and the ring unmapped.
//!
//! A live session also takes a classic BPF program of raw instructions
//! ([`CaptureConfig::filter`] at open, [`Session::set_filter`] later,
//! [`BpfInsn`]; [`live_link_types`] says what link types to compile it for)
//! and sends exact frames
//! ([`Session::inject`], or an [`Injector`] on any interface, as `pcap_inject`).
//! Several live sessions can share one interface's packets, each packet going
//! to one of them, in a `PACKET_FANOUT` group ([`CaptureConfig::fanout`]).
//!
//! The handler never cares how packets were obtained: the same loop runs over a
//! capture file.
//!
//! ```no_run
//! use mycap_core::{CaptureConfig, Session, Verdict};
//!
//! let mut session = Session::open(&CaptureConfig::any())?;
//! let mut seen = 0u64;
//! session.run(&mut |hdr: &mycap_core::PacketHeader<'_>, data: &[u8]| {
//!     seen += 1;
//!     println!("{} {:?} {} bytes", hdr.ifname, hdr.pkttype, data.len());
//!     if seen == 10 { Verdict::End } else { Verdict::Continue }
//! })?;
//! let stats = session.stats()?;
//! eprintln!("{} received, {} dropped", stats.received, stats.dropped);
//! # Ok::<(), mycap_core::Error>(())
//! ```

mod bpf;
mod config;
mod error;
mod file;
mod inject;
mod interfaces;
mod live;
mod loop_control;
mod opening;
mod session;
#[allow(unsafe_code)]
mod sys;

pub use bpf::{BpfInsn, BPF_MAXINSNS};
pub use capture_file::{
    LinkType, PacketHeader, PacketType, PcapWriter, PcapngWriter, StrippedVlan,
};
pub use config::{CaptureConfig, Direction, Fanout, FanoutGroup, FanoutMode, Interface};
pub use error::Error;
pub use inject::Injector;
pub use interfaces::{interfaces, InterfaceInfo};
pub use live::{link_type_of, live_link_types};
pub use loop_control::{Breaker, Handler, LoopEnd, Stats, Verdict};
pub use session::Session;
