//! netraf's packet decoding: zero-copy views of the headers netraf reads, and [`decode`], which walks a frame's layers once into a plain [`Layers`].
//!
//! This crate owns:
//! - one view per header over borrowed bytes ([`Ethernet`], [`Vlan`],
//!   [`Llc`], [`Mpls`], [`Arp`], [`Ipv4`], [`Ipv6`] and its extension
//!   headers, [`Tcp`], [`Udp`], [`Icmp`], [`Gre`], [`Vxlan`]) and per link
//!   framing netraf reads ([`Null`], [`Ppp`], [`Pppoe`], [`CiscoHdlc`],
//!   [`Ieee80211`], [`Radiotap`], [`Nflog`], [`IpOverIb`],
//!   [`netanalyzer`]); the Linux cooked headers are read by
//!   [`capture_file::cooked`], their one owner. Each view has a checked
//!   constructor, `new_checked`, which returns `None` when the bytes are too
//!   short (or not that header); its accessors then read named fields and
//!   never panic;
//! - the rules of what a frame's layers are ([`decode`] into [`Layers`]):
//!   which link framings, tags and tunnels are walked, which headers count
//!   as all there, and where each layer starts. [`decode_with`] hands the
//!   same fields to a [`Sink`] instead: plugin-api's `Packet::decode`
//!   writes each straight into the packet that plugins see.
//!
//! No allocation, no unsafe code: only bounds-checked reads of the bytes.

pub mod arp;
mod bytes;
mod decode;
pub mod ethernet;
pub mod gre;
pub mod hdlc;
pub mod icmp;
pub mod ipoib;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6_ext;
mod layers;
mod link;
pub mod llc;
pub mod mpls;
pub mod netanalyzer;
pub mod nflog;
pub mod null;
pub mod ppp;
pub mod radiotap;
mod sink;
pub mod tcp;
pub mod udp;
pub mod vlan;
pub mod vxlan;
pub mod wifi;

pub use arp::Arp;
pub use decode::{decode, decode_inner, decode_with};
pub use ethernet::{ethertype, Ethernet};
pub use gre::Gre;
pub use hdlc::CiscoHdlc;
pub use icmp::{Icmp, Icmpv6};
pub use ipoib::IpOverIb;
pub use ipv4::Ipv4;
pub use ipv6::Ipv6;
pub use ipv6_ext::{skip_extensions, Ipv6Ext, Ipv6Fragment, Upper};
pub use layers::{
    ArpFields, IpFields, Layers, NetworkKind, Span, TcpFields, TransportKind, Tunnel, TunnelKind,
    VlanStack, VlanTag, MAX_VLAN_TAGS,
};
pub use llc::Llc;
pub use mpls::Mpls;
pub use nflog::Nflog;
pub use null::Null;
pub use ppp::{Ppp, Pppoe};
pub use radiotap::Radiotap;
pub use sink::Sink;
pub use tcp::Tcp;
pub use udp::Udp;
pub use vlan::Vlan;
pub use vxlan::Vxlan;
pub use wifi::Ieee80211;

pub use capture_file::{LinkType, StrippedVlan};
