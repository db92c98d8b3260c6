//! The kernel interface of MYCAP: packet sockets, the `TPACKET_V3` ring, poll and eventfd, network namespaces.
//!
//! This is the only place in the crate with `unsafe`: every block says why
//! its invariants hold, and every type here owns what it opened and releases
//! it in `Drop`.

pub(crate) mod links;
pub(crate) mod netns;
pub(crate) mod ring;
pub(crate) mod socket;
pub(crate) mod wake;

pub(crate) use capture_file::poll_two;
pub(crate) use netns::in_netns;
pub(crate) use ring::{Ring, RingLayout};
pub(crate) use socket::PacketSocket;
pub(crate) use wake::EventFd;
