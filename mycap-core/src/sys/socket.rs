//! The raw `AF_PACKET` socket: creation, bind, socket options, statistics and the interface ioctls.
//!
//! Interface ioctls go through the packet socket's own descriptor, so they
//! resolve names and indexes in the socket's network namespace, which may not
//! be the caller's.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `ETH_P_ALL` in network byte order, as `sll_protocol` wants it.
const ETH_P_ALL_BE: u16 = (libc::ETH_P_ALL as u16).to_be();

/// An owned `AF_PACKET`/`SOCK_RAW` socket.
#[derive(Debug)]
pub(crate) struct PacketSocket {
    fd: OwnedFd,
}

/// Kernel counters read (and reset) by `PACKET_STATISTICS`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KernelStats {
    /// Packets that passed the filter, including those dropped (`tp_packets`
    /// after the kernel adds `tp_drops`).
    pub(crate) packets: u32,
    /// Packets dropped because the ring was full.
    pub(crate) drops: u32,
}

/// An interface's `ifreq` with the name filled in.
fn ifreq_named(name: &str) -> io::Result<libc::ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::ENODEV));
    }
    // SAFETY: ifreq is a plain C struct (arrays and a union of integers and
    // sockaddrs) for which all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Ok(req)
}

impl PacketSocket {
    /// Opens a close-on-exec raw packet socket that receives nothing until
    /// [`PacketSocket::bind`] names a protocol.
    pub(crate) fn open() -> io::Result<PacketSocket> {
        // SAFETY: socket takes no pointers; a negative result is checked below.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by socket and is owned by nobody else.
        Ok(PacketSocket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// The raw descriptor, for poll and mmap.
    pub(crate) fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn setsockopt<T>(&self, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
        // SAFETY: `value` points to a live T and we pass its exact size; the
        // kernel copies it before returning.
        let rc = unsafe {
            libc::setsockopt(
                self.raw(),
                level,
                name,
                (value as *const T).cast::<libc::c_void>(),
                mem::size_of::<T>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sets an integer `SOL_PACKET` option.
    pub(crate) fn set_packet_int(&self, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
        self.setsockopt(libc::SOL_PACKET, name, &value)
    }

    /// Asks for a `TPACKET_V3` receive ring with this geometry.
    pub(crate) fn set_rx_ring(&self, req: &libc::tpacket_req3) -> io::Result<()> {
        self.setsockopt(libc::SOL_PACKET, libc::PACKET_RX_RING, req)
    }

    /// Attaches (or replaces) the socket's classic BPF program.
    pub(crate) fn attach_filter(&self, program: &[libc::sock_filter]) -> io::Result<()> {
        let len =
            u16::try_from(program.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let prog = libc::sock_fprog {
            len,
            // The kernel only reads through this pointer (copy_from_user).
            filter: program.as_ptr().cast_mut(),
        };
        self.setsockopt(libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)
    }

    /// Puts interface `ifindex` in promiscuous mode for this socket's life
    /// (the kernel undoes the membership when the socket closes).
    pub(crate) fn add_promiscuous(&self, ifindex: i32) -> io::Result<()> {
        let mreq = libc::packet_mreq {
            mr_ifindex: ifindex,
            mr_type: libc::PACKET_MR_PROMISC as u16,
            mr_alen: 0,
            mr_address: [0; 8],
        };
        self.setsockopt(libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mreq)
    }

    fn getsockopt<T>(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        value: &mut T,
    ) -> io::Result<()> {
        let mut len = mem::size_of::<T>() as libc::socklen_t;
        // SAFETY: `value` points to a live T and `len` holds its exact size;
        // the kernel writes at most `len` bytes. Used only with plain integer
        // structs, for which any bytes are valid.
        let rc = unsafe {
            libc::getsockopt(
                self.raw(),
                level,
                name,
                (value as *mut T).cast::<libc::c_void>(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Reads and resets the kernel's packet and drop counters.
    pub(crate) fn take_stats(&self) -> io::Result<KernelStats> {
        // SAFETY: tpacket_stats_v3 is three u32; all-zero is valid.
        let mut st: libc::tpacket_stats_v3 = unsafe { mem::zeroed() };
        self.getsockopt(libc::SOL_PACKET, libc::PACKET_STATISTICS, &mut st)?;
        Ok(KernelStats {
            packets: st.tp_packets,
            drops: st.tp_drops,
        })
    }

    /// Joins (or creates) a fanout group: `arg` is the group id in the low 16
    /// bits and the mode with its `PACKET_FANOUT_FLAG_*` in the high 16.
    pub(crate) fn join_fanout(&self, arg: u32) -> io::Result<()> {
        self.setsockopt(libc::SOL_PACKET, libc::PACKET_FANOUT, &arg)
    }

    /// The socket's fanout group as the kernel reports it: id in the low 16
    /// bits, mode in the next 8, flags in the top 8; 0 when in no group.
    pub(crate) fn fanout(&self) -> io::Result<u32> {
        let mut arg: u32 = 0;
        self.getsockopt(libc::SOL_PACKET, libc::PACKET_FANOUT, &mut arg)?;
        Ok(arg)
    }

    /// The pending socket error (`SO_ERROR`), cleared by reading it.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        let mut value: libc::c_int = 0;
        self.getsockopt(libc::SOL_SOCKET, libc::SO_ERROR, &mut value)?;
        Ok((value != 0).then(|| io::Error::from_raw_os_error(value)))
    }

    /// Binds to interface `ifindex` (0 = all) and starts receiving every protocol.
    pub(crate) fn bind_all_protocols(&self, ifindex: i32) -> io::Result<()> {
        let addr = sockaddr_ll(ifindex, ETH_P_ALL_BE, &[]);
        // SAFETY: `addr` is a live sockaddr_ll and we pass its exact size.
        let rc = unsafe {
            libc::bind(
                self.raw(),
                (&addr as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends `frame` as is (link header included) on interface `ifindex`.
    /// `protocol` (host order) and `dst` (link address) fill the `sockaddr_ll`.
    pub(crate) fn send_to(
        &self,
        ifindex: i32,
        protocol: u16,
        dst: &[u8],
        frame: &[u8],
    ) -> io::Result<usize> {
        let addr = sockaddr_ll(ifindex, protocol.to_be(), dst);
        // SAFETY: `frame` is a live slice read for its exact length; `addr` is a
        // live sockaddr_ll passed with its exact size.
        let rc = unsafe {
            libc::sendto(
                self.raw(),
                frame.as_ptr().cast::<libc::c_void>(),
                frame.len(),
                0,
                (&addr as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(rc as usize)
    }

    fn ioctl(&self, request: libc::c_ulong, req: &mut libc::ifreq) -> io::Result<()> {
        // SAFETY: every request used here (SIOCGIF*) reads and writes only
        // within the live ifreq we pass.
        let rc = unsafe { libc::ioctl(self.raw(), request as _, req as *mut libc::ifreq) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The index of interface `name` in the socket's namespace (ENODEV if none).
    pub(crate) fn ifindex(&self, name: &str) -> io::Result<i32> {
        let mut req = ifreq_named(name)?;
        self.ioctl(libc::SIOCGIFINDEX, &mut req)?;
        // SAFETY: SIOCGIFINDEX succeeded, so the kernel filled ifru_ifindex.
        Ok(unsafe { req.ifr_ifru.ifru_ifindex })
    }

    /// The flags (`IFF_*`) of interface `name`.
    pub(crate) fn if_flags(&self, name: &str) -> io::Result<i32> {
        let mut req = ifreq_named(name)?;
        self.ioctl(libc::SIOCGIFFLAGS, &mut req)?;
        // SAFETY: SIOCGIFFLAGS succeeded, so the kernel filled ifru_flags.
        Ok(i32::from(unsafe { req.ifr_ifru.ifru_flags }) & 0xffff)
    }

    /// The hardware type (`ARPHRD_*`) of interface `name`.
    pub(crate) fn if_hwtype(&self, name: &str) -> io::Result<u16> {
        let mut req = ifreq_named(name)?;
        self.ioctl(libc::SIOCGIFHWADDR, &mut req)?;
        // SAFETY: SIOCGIFHWADDR succeeded, so the kernel filled ifru_hwaddr,
        // whose family is the hardware type.
        Ok(unsafe { req.ifr_ifru.ifru_hwaddr.sa_family })
    }

    /// The name of interface `ifindex` in the socket's namespace.
    pub(crate) fn if_name(&self, ifindex: i32) -> io::Result<String> {
        // SAFETY: all-zero bytes are a valid ifreq (see ifreq_named).
        let mut req: libc::ifreq = unsafe { mem::zeroed() };
        req.ifr_ifru.ifru_ifindex = ifindex;
        self.ioctl(libc::SIOCGIFNAME, &mut req)?;
        let name: Vec<u8> = req
            .ifr_name
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        Ok(String::from_utf8_lossy(&name).into_owned())
    }
}

/// A `sockaddr_ll` for `ifindex`, `protocol` (network order) and link address `dst`.
fn sockaddr_ll(ifindex: i32, protocol_be: u16, dst: &[u8]) -> libc::sockaddr_ll {
    let mut addr = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: protocol_be,
        sll_ifindex: ifindex,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    let n = dst.len().min(8);
    addr.sll_addr[..n].copy_from_slice(&dst[..n]);
    addr.sll_halen = n as u8;
    addr
}
