//! Opening a packet socket (in a network namespace) and finding an interface up: what live capture and injection share.

use std::io;
use std::path::Path;

use crate::sys::{self, PacketSocket};
use crate::Error;

/// Opens a packet socket, inside the network namespace `netns` if given.
///
/// # Errors
/// [`Error::Permission`] without CAP_NET_RAW, [`Error::Os`] otherwise.
pub(crate) fn open_socket(netns: Option<&Path>) -> Result<PacketSocket, Error> {
    let opened = match netns {
        None => PacketSocket::open(),
        Some(path) => sys::in_netns(path, PacketSocket::open).map_err(|source| Error::Os {
            context: format!(
                "entering network namespace {} (does it exist? list them with `ip netns`)",
                path.display()
            ),
            source,
        })?,
    };
    opened.map_err(|source| match source.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => Error::Permission,
        _ => Error::Os {
            context: "socket(AF_PACKET, SOCK_RAW)".into(),
            source,
        },
    })
}

/// The index of interface `name` as the socket's namespace knows it, checking it is up.
///
/// # Errors
/// [`Error::NoSuchInterface`], [`Error::InterfaceDown`], or [`Error::Os`].
pub(crate) fn resolve_up(socket: &PacketSocket, name: &str) -> Result<i32, Error> {
    let os = |call: &str, source: io::Error| match source.raw_os_error() {
        Some(libc::ENODEV) => Error::NoSuchInterface(name.to_string()),
        _ => Error::Os {
            context: format!("ioctl({call}) on {name}"),
            source,
        },
    };
    let ifindex = socket.ifindex(name).map_err(|e| os("SIOCGIFINDEX", e))?;
    let flags = socket.if_flags(name).map_err(|e| os("SIOCGIFFLAGS", e))?;
    if flags & libc::IFF_UP == 0 {
        return Err(Error::InterfaceDown(name.to_string()));
    }
    Ok(ifindex)
}
