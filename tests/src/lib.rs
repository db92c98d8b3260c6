//! Helpers for netraf's end-to-end tests: network namespaces, veth pairs, exact frames and the capture corpus.
//!
//! - [`require_netns!`] skips a test that needs root and namespaces (or fails
//!   it when `NETRAF_REQUIRE_NETNS=1`);
//! - [`netns::VethPair`] builds two quiet namespaces joined by a veth, removed on drop;
//! - [`frames`] builds exact Ethernet frames (unicast, broadcast and multicast UDP, ARP, VLAN);
//! - [`collect`] runs a session's loop with a deadline and keeps copies of the packets;
//! - [`caps`] runs code on a thread without CAP_NET_RAW;
//! - [`tun`] a tun device in a test namespace, to receive raw IP packets on;
//! - [`fanout_ids`] moves the kernel's fanout group id counter to where boot leaves it;
//! - [`corpus`] finds the shared capture corpus and reads its CSV answers;
//! - [`files`] temporary directories and external tools (tshark, tcpdump).

#[allow(unsafe_code)]
pub mod caps;
pub mod collect;
pub mod corpus;
#[allow(unsafe_code)]
pub mod fanout_ids;
pub mod files;
pub mod frames;
pub mod netns;
pub mod skip;
#[allow(unsafe_code)]
pub mod tun;

pub use skip::{netns_unavailable, skip_or_fail};
