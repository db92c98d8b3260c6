//! A tun device created inside a test namespace: an IP packet written to it is received by the kernel on that device.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::mem;
use std::os::fd::AsRawFd;

use crate::netns::Netns;

/// `TUNSETIFF` (`_IOW('T', 202, int)`).
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

/// An open tun device (`IFF_TUN | IFF_NO_PI`): its hardware type is
/// `ARPHRD_NONE` and its packets start with the IP header. Removed when dropped.
#[derive(Debug)]
pub struct Tun {
    file: File,
    /// The device's name.
    pub name: String,
}

impl Tun {
    /// Creates tun device `name` in namespace `ns` and sets it up.
    ///
    /// # Errors
    /// Entering the namespace, opening `/dev/net/tun`, `TUNSETIFF` or `ip` failing.
    pub fn create_in(ns: &Netns, name: &str) -> io::Result<Tun> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ {
            return Err(io::Error::other("bad interface name"));
        }
        let path = ns.path().to_path_buf();
        let owned = name.to_string();
        // The device is made in the namespace of the thread that opens
        // /dev/net/tun: a thread of its own enters the namespace.
        let file = std::thread::spawn(move || -> io::Result<File> {
            let ns_file = File::open(&path)?;
            // SAFETY: setns takes a descriptor we own and a flag; it changes
            // only this thread's network namespace, and the thread ends here.
            if unsafe { libc::setns(ns_file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return Err(io::Error::last_os_error());
            }
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/net/tun")?;
            // SAFETY: ifreq is a plain C struct for which all-zero bytes are valid.
            let mut req: libc::ifreq = unsafe { mem::zeroed() };
            for (dst, src) in req.ifr_name.iter_mut().zip(owned.as_bytes()) {
                *dst = *src as libc::c_char;
            }
            req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
            // SAFETY: TUNSETIFF reads and writes only within the live ifreq passed.
            if unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF as _, &mut req) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(file)
        })
        .join()
        .map_err(|_| io::Error::other("the tun thread panicked"))??;
        ns.ip(&["link", "set", name, "up"])?;
        Ok(Tun {
            file,
            name: name.to_string(),
        })
    }

    /// Makes the kernel receive `packet` (an IP packet) on the device.
    ///
    /// # Errors
    /// The write failing.
    pub fn receive(&self, packet: &[u8]) -> io::Result<()> {
        (&self.file).write_all(packet)
    }
}
