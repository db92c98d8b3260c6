//! The handler object a plugin's constructor returns: the per-packet hook and the other hooks, as an ABI-stable trait object.

use abi_stable::sabi_trait;
use abi_stable::std_types::{RBox, RResult, RString};
use abi_stable::StableAbi;

use crate::Packet;

/// What a handler answers for a packet.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Hand the packet to the next plugin of the chain.
    Continue,
    /// The plugins after this one do not see this packet (capture goes on).
    Stop,
    /// The plugin's work is over and the run should end cleanly, e.g. the
    /// reader of its output went away (a closed pipe): the plugins after this
    /// one do not see this packet, the capture stops, every plugin is shut
    /// down and reports, and the host exits with status 0. Not an error: a
    /// failure is an `Err` from the hook. (Since plugin-api 0.2.)
    End,
}

/// A plugin instance, as the host drives it. Plugins do not implement this
/// directly: they implement [`crate::Plugin`] and export it with
/// [`crate::export_plugin!`], which also keeps panics from crossing the boundary.
///
/// Every error is a one-line message; the host logs it with the plugin's name
/// and disables the plugin.
#[sabi_trait]
pub trait PacketHandler: Send {
    /// Called for every packet that the plugins before this one let through.
    fn on_packet(&mut self, packet: &Packet<'_>) -> RResult<Verdict, RString>;

    /// Called about once a second, with the time in nanoseconds since the Unix
    /// epoch: packet time while packets flow (so replays of a file give the
    /// same results however fast they run), wall time on an idle live link.
    fn on_tick(&mut self, now_ns: u64) -> RResult<(), RString>;

    /// The plugin's results so far, as a JSON value (usually an object).
    fn report(&mut self) -> RResult<RString, RString>;

    /// Called once at the end: flush and close what the plugin holds.
    #[sabi(last_prefix_field)]
    fn shutdown(&mut self) -> RResult<(), RString>;
}

/// An owned handler object, as the constructor returns it.
pub type HandlerBox = PacketHandler_TO<'static, RBox<()>>;
