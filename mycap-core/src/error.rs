//! The errors of MYCAP, with messages a person can act on.

use std::fmt;
use std::io;

/// Everything that can go wrong opening, running or closing a session.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The process may not open raw packet sockets.
    Permission,
    /// No interface has this name.
    NoSuchInterface(String),
    /// The interface exists but is not up.
    InterfaceDown(String),
    /// An option value that cannot work (what, and why).
    InvalidConfig(String),
    /// A system call failed: which one, on what, and the OS error.
    Os {
        /// The call and its object, e.g. `setsockopt(PACKET_RX_RING) on eth0`.
        context: String,
        /// The OS error.
        source: io::Error,
    },
    /// A capture file could not be read: the file, the byte offset and why.
    File {
        /// The file's path (`-` for standard input).
        path: String,
        /// Byte offset in the file where the problem was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Permission => write!(
                f,
                "permission denied opening a packet socket: capture needs CAP_NET_RAW \
                 (run as root, or grant it once with \
                 `sudo setcap cap_net_raw,cap_net_admin+eip /path/to/binary`)"
            ),
            Error::NoSuchInterface(name) => write!(
                f,
                "no such interface '{name}' (list them with `ip link`, or capture on 'any')"
            ),
            Error::InterfaceDown(name) => write!(
                f,
                "interface '{name}' is down (bring it up with `ip link set {name} up`)"
            ),
            Error::InvalidConfig(what) => write!(f, "invalid capture option: {what}"),
            Error::Os { context, source } => write!(f, "{context}: {source}"),
            Error::File {
                path,
                offset,
                reason,
            } => write!(f, "{path}: at byte offset {offset}: {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Os { source, .. } => Some(source),
            _ => None,
        }
    }
}
