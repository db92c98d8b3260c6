//! Sending exact frames on one interface through a raw packet socket (libpcap's `pcap_inject`).

use std::path::Path;

use crate::opening::{open_socket, resolve_up};
use crate::sys::PacketSocket;
use crate::Error;

/// A raw `AF_PACKET` sender bound to one interface, optionally opened in
/// another network namespace. It receives nothing; each [`Injector::send`]
/// puts one frame on the wire exactly as given, link header included.
#[derive(Debug)]
pub struct Injector {
    socket: PacketSocket,
    ifindex: i32,
    name: String,
}

impl Injector {
    /// Opens a sender on `interface`, inside the network namespace at `netns`
    /// (e.g. `/var/run/netns/NAME`) if given.
    ///
    /// # Errors
    /// [`Error::Permission`] without CAP_NET_RAW, [`Error::NoSuchInterface`],
    /// [`Error::InterfaceDown`], [`Error::Os`].
    pub fn open(interface: &str, netns: Option<&Path>) -> Result<Injector, Error> {
        let socket = open_socket(netns)?;
        let ifindex = resolve_up(&socket, interface)?;
        Ok(Injector {
            socket,
            ifindex,
            name: interface.to_string(),
        })
    }

    /// Sends one frame; returns the bytes sent.
    ///
    /// # Errors
    /// [`Error::Os`] when the kernel refuses the frame (shorter than the link
    /// header, longer than the MTU, interface down, queue full).
    pub fn send(&self, frame: &[u8]) -> Result<usize, Error> {
        send(&self.socket, self.ifindex, &self.name, frame)
    }

    /// The interface index the sender is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex as u32
    }
}

/// Sends `frame` on `ifindex` through `socket`, taking the destination and
/// protocol from its Ethernet header when it has one.
pub(crate) fn send(
    socket: &PacketSocket,
    ifindex: i32,
    name: &str,
    frame: &[u8],
) -> Result<usize, Error> {
    let (dst, protocol) = match frame {
        [d0, d1, d2, d3, d4, d5, _, _, _, _, _, _, t0, t1, ..] => (
            [*d0, *d1, *d2, *d3, *d4, *d5],
            u16::from_be_bytes([*t0, *t1]),
        ),
        _ => ([0; 6], 0),
    };
    let dst = if frame.len() >= 14 {
        &dst[..]
    } else {
        &dst[..0]
    };
    socket
        .send_to(ifindex, protocol, dst, frame)
        .map_err(|source| Error::Os {
            context: format!("sending a {}-byte frame on {name}", frame.len()),
            source,
        })
}
