//! The live source: a raw `AF_PACKET` socket with its `TPACKET_V3` ring, walked block by block into the handler.
//!
//! # What the loop guarantees
//! - **Zero copy, no allocation per packet**: the handler borrows the bytes
//!   straight from the mapped ring; the header's interface name comes from a
//!   small table filled only when an unknown interface index shows up.
//! - **Nothing lost when a loop ends**: when the handler answers
//!   [`Verdict::End`](crate::Verdict::End) or a breaker ends the loop between
//!   two packets, the position (block and offset) is kept and the next run
//!   resumes there. A block goes back to the kernel only once every packet in
//!   it was handled.
//! - **No busy polling**: an empty ring blocks in `poll` on the socket and the
//!   session's eventfd, which [`Breaker::end`](crate::Breaker::end) writes.
//! - **Packets of a quiet link arrive promptly**: the kernel hands over a block
//!   that is not full after the block timeout (default 10 ms).
//!
//! # Header fields
//! - `link_type` comes from the interface's hardware type: Ethernet and
//!   loopback start with an Ethernet header, interfaces without a link header
//!   (`ARPHRD_NONE`, IP tunnels, raw IP) with the IP header; see [`link_type_of`].
//! - A VLAN tag the kernel stripped is reported in `vlan` and **not**
//!   re-inserted into the bytes (libpcap re-inserts it; MYCAP keeps the bytes
//!   zero-copy). The bytes and `len` are what the kernel gave.
//! - An interface renamed during capture keeps the name first seen for its index.
//!
//! # Directions
//! [`Direction::In`] uses `PACKET_IGNORE_OUTGOING`, so the kernel never queues
//! sent packets. [`Direction::Out`] is done in user space: received packets
//! still fill the ring and count in [`Stats::received`], and are skipped
//! without reaching the handler.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bpf::{self, BpfInsn};
use capture_file::StrippedVlan;

use crate::loop_control::{Handler, LoopEnd, Shared, Stats};
use crate::opening::{open_socket, resolve_up};
use crate::sys::{self, EventFd, PacketSocket, Ring, RingLayout};
use crate::PacketHeader;
use crate::{CaptureConfig, Direction, Error, Fanout, FanoutGroup, Interface, Verdict};
use crate::{LinkType, PacketType};

/// Joins the bound `socket` to `fanout`'s group and returns the group id
/// (the kernel picks it for [`FanoutGroup::New`]).
///
/// No `PACKET_FANOUT_FLAG_DEFRAG`: it makes the kernel reassemble IP
/// fragments before capture, so the capture would no longer see the frames
/// that crossed the wire; fragments hash on addresses and protocol alone and
/// stay on one socket without it. Once in a group the socket's own
/// `PACKET_IGNORE_OUTGOING` no longer applies (the group's hook replaces the
/// socket's), so [`Direction::In`] asks the group for it.
///
/// A socket joins after its bind, so between the two calls it receives on
/// its own: if the group already captures, a packet arriving in that instant
/// can be delivered twice (never lost). Open the sessions before the traffic
/// that must be counted exactly.
///
/// # Errors
/// [`Error::InvalidConfig`] when the kernel refuses the group (another mode,
/// direction or interface, or full), [`Error::Os`] otherwise.
fn join_fanout(
    socket: &PacketSocket,
    fanout: Fanout,
    direction: Direction,
    name: &str,
) -> Result<u16, Error> {
    let mut flags = 0;
    if direction == Direction::In {
        flags |= libc::PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
    }
    // With UNIQUEID the kernel ignores the id passed and picks a free one.
    let (id, what) = match fanout.group {
        FanoutGroup::New => {
            flags |= libc::PACKET_FANOUT_FLAG_UNIQUEID;
            (0, "a new fanout group".to_string())
        }
        FanoutGroup::Id(id) => (id, format!("fanout group {id}")),
    };
    let arg = u32::from(id) | ((fanout.mode.kernel_mode() | flags) << 16);
    socket
        .join_fanout(arg)
        .map_err(|source| match source.raw_os_error() {
            Some(libc::EINVAL) => Error::InvalidConfig(format!(
                "the kernel refused to join {what} in {} mode on {name}: the group exists \
             with another mode or direction, or on another interface (pick another \
             group id, or the same mode for every session of the group)",
                fanout.mode.name()
            )),
            Some(libc::ENOSPC) => Error::InvalidConfig(format!(
                "{what} on {name} is full (the kernel takes at most 256 sessions per group)"
            )),
            _ => Error::Os {
                context: format!("setsockopt(PACKET_FANOUT) joining {what} on {name}"),
                source,
            },
        })?;
    let joined = socket.fanout().map_err(|source| Error::Os {
        context: format!("getsockopt(PACKET_FANOUT) on {name}"),
        source,
    })?;
    Ok((joined & 0xffff) as u16)
}

/// The link type the bytes of a packet on an interface of hardware type
/// `hatype` (`ARPHRD_*`) start with, for a `SOCK_RAW` packet socket.
///
/// Ethernet and loopback give Ethernet frames; devices without a link header
/// (`ARPHRD_NONE` such as tun and WireGuard, IP-in-IP, SIT, raw IP) give IP
/// packets; 802.11 and radiotap monitor interfaces give their own headers.
/// Any other hardware type is reported as [`LinkType::RAW`] when it is one of
/// the header-less kinds above, and otherwise as `LinkType(0xffff)`, which
/// names no format: the bytes start with a header MYCAP does not know.
pub fn link_type_of(hatype: u16) -> LinkType {
    match hatype {
        libc::ARPHRD_ETHER | libc::ARPHRD_LOOPBACK => LinkType::ETHERNET,
        libc::ARPHRD_NONE
        | libc::ARPHRD_TUNNEL
        | libc::ARPHRD_TUNNEL6
        | libc::ARPHRD_SIT
        | libc::ARPHRD_IPGRE
        | ARPHRD_RAWIP => LinkType::RAW,
        libc::ARPHRD_IEEE80211 => LinkType::IEEE802_11,
        libc::ARPHRD_IEEE80211_RADIOTAP => LinkType::IEEE802_11_RADIOTAP,
        libc::ARPHRD_CISCO => LinkType::C_HDLC,
        _ => LinkType(0xffff),
    }
}

/// `ARPHRD_RAWIP`, which libc does not name.
const ARPHRD_RAWIP: u16 = 519;

/// Every hardware type [`link_type_of`] knows a link type for.
const KNOWN_HATYPES: [u16; 11] = [
    libc::ARPHRD_ETHER,
    libc::ARPHRD_LOOPBACK,
    libc::ARPHRD_NONE,
    libc::ARPHRD_TUNNEL,
    libc::ARPHRD_TUNNEL6,
    libc::ARPHRD_SIT,
    libc::ARPHRD_IPGRE,
    ARPHRD_RAWIP,
    libc::ARPHRD_IEEE80211,
    libc::ARPHRD_IEEE80211_RADIOTAP,
    libc::ARPHRD_CISCO,
];

/// The hardware types (`ARPHRD_*`) a session opened with `config` can see
/// packets of, each with the link type its packets' bytes start with
/// ([`link_type_of`]): what a filter compiler needs to compile one program
/// for the session (netraf's `compile_live` takes this list).
///
/// For a named interface (looked up in `config.netns` if set), its hardware
/// type from `SIOCGIFHWADDR`. For `any`, every hardware type MYCAP knows a
/// link type for (Ethernet, loopback, `NONE`, the IP tunnels, raw IP,
/// 802.11, radiotap, Cisco HDLC): an interface may appear after the filter
/// is compiled.
///
/// # Errors
/// [`Error::Permission`] without CAP_NET_RAW, [`Error::NoSuchInterface`],
/// [`Error::Os`] for a failing call or namespace.
pub fn live_link_types(config: &CaptureConfig) -> Result<Vec<(u16, LinkType)>, Error> {
    let name = match &config.interface {
        Interface::Any => {
            return Ok(KNOWN_HATYPES
                .iter()
                .map(|h| (*h, link_type_of(*h)))
                .collect())
        }
        Interface::Name(name) => name,
    };
    let socket = open_socket(config.netns.as_deref())?;
    let hatype = socket
        .if_hwtype(name)
        .map_err(|source| match source.raw_os_error() {
            Some(libc::ENODEV) => Error::NoSuchInterface(name.clone()),
            _ => Error::Os {
                context: format!("ioctl(SIOCGIFHWADDR) on {name}"),
                source,
            },
        })?;
    Ok(vec![(hatype, link_type_of(hatype))])
}

/// One known interface.
#[derive(Debug)]
struct Iface {
    ifindex: i32,
    name: String,
    link_type: LinkType,
}

/// Interface index → name and link type, filled when an unknown index shows up.
#[derive(Debug, Default)]
struct Interfaces {
    known: Vec<Iface>,
}

impl Interfaces {
    fn get(&mut self, socket: &PacketSocket, ifindex: i32, hatype: u16) -> &Iface {
        let at = match self.known.iter().position(|i| i.ifindex == ifindex) {
            Some(at) => at,
            None => {
                let name = socket.if_name(ifindex).unwrap_or_else(|e| {
                    log::debug!("ioctl(SIOCGIFNAME) for interface index {ifindex}: {e}");
                    format!("ifindex{ifindex}")
                });
                self.known.push(Iface {
                    ifindex,
                    name,
                    link_type: link_type_of(hatype),
                });
                self.known.len() - 1
            }
        };
        &self.known[at] // ok: `at` is a position in `known`, or its last index after a push
    }
}

/// Where the loop stands in the ring.
#[derive(Debug, Default, Clone, Copy)]
struct Cursor {
    /// The block the loop reads (or waits for).
    block: usize,
    /// Inside that block: packets already handled and the offset of the next
    /// one, when a loop ended in the middle of it.
    resume: Option<(u32, u32)>,
}

/// A live capture socket and its ring.
pub(crate) struct Live {
    // Field order is drop order: unmap the ring before closing the socket.
    ring: Ring,
    socket: PacketSocket,
    waker: Arc<EventFd>,
    /// The interface name, or `any`, for messages.
    name: String,
    /// The interface index, 0 for `any`.
    ifindex: i32,
    snaplen: u32,
    direction: Direction,
    cursor: Cursor,
    interfaces: Interfaces,
    totals: Stats,
    /// Blocks handed back to the kernel since its counters were last folded into `totals`.
    blocks_since_fold: u32,
    /// The fanout group joined (the kernel's pick for a new group).
    fanout_group: Option<u16>,
}

/// How many released blocks may pass before the loop folds the kernel's
/// 32-bit counters into the session's 64-bit totals.
const FOLD_EVERY_BLOCKS: u32 = 1024;

/// Reads (and so resets) the kernel's packet and drop counters and adds them to `totals`.
fn fold_stats(socket: &PacketSocket, name: &str, totals: &mut Stats) -> Result<(), Error> {
    let k = socket.take_stats().map_err(|source| Error::Os {
        context: format!("getsockopt(PACKET_STATISTICS) on {name}"),
        source,
    })?;
    totals.received += u64::from(k.packets);
    totals.dropped += u64::from(k.drops);
    Ok(())
}

/// The settings [`Live::open`] refuses before any system call: the ring's
/// layout, the interface's name and the filter to open with.
fn check_settings(
    config: &CaptureConfig,
) -> Result<(RingLayout, String, Vec<libc::sock_filter>), Error> {
    let layout = RingLayout::new(config.snaplen, config.ring_size, config.block_timeout)
        .map_err(Error::InvalidConfig)?;
    let program = match &config.filter {
        Some(program) => bpf::clamp_to_snaplen(program, config.snaplen)?,
        None => bpf::accept_all(config.snaplen),
    };
    let name = match &config.interface {
        Interface::Any => "any".to_string(),
        Interface::Name(name) => name.clone(),
    };
    if config.promiscuous && config.interface == Interface::Any {
        return Err(Error::InvalidConfig(
            "promiscuous mode needs one interface, not 'any' (name the interface, \
             or capture on 'any' without promiscuous mode)"
                .into(),
        ));
    }
    Ok((layout, name, program))
}

/// Opens a socket (in the namespace) and finds the interface up, returning
/// the socket and the interface index (0 for `any`).
fn socket_on(config: &CaptureConfig) -> Result<(PacketSocket, i32), Error> {
    let socket = open_socket(config.netns.as_deref())?;
    let ifindex = match &config.interface {
        Interface::Any => 0,
        Interface::Name(n) => resolve_up(&socket, n)?,
    };
    Ok((socket, ifindex))
}

/// Checks what [`Live::open`] checks before it captures: the settings, the
/// namespace, the permission and the interface (there and up).
pub(crate) fn check(config: &CaptureConfig) -> Result<(), Error> {
    check_settings(config)?;
    socket_on(config).map(drop)
}

impl Live {
    pub(crate) fn open(config: &CaptureConfig, shared: &Shared) -> Result<Live, Error> {
        let (layout, name, program) = check_settings(config)?;
        let (socket, ifindex) = socket_on(config)?;
        let fail = |call: &str, source: io::Error| Error::Os {
            context: format!("{call} on {name}"),
            source,
        };
        socket
            .set_packet_int(
                libc::PACKET_VERSION,
                libc::tpacket_versions::TPACKET_V3 as libc::c_int,
            )
            .map_err(|e| fail("setsockopt(PACKET_VERSION, TPACKET_V3)", e))?;
        if config.direction == Direction::In {
            socket
                .set_packet_int(libc::PACKET_IGNORE_OUTGOING, 1)
                .map_err(|e| fail("setsockopt(PACKET_IGNORE_OUTGOING) (needs Linux 4.20)", e))?;
        }
        // Before the bind: the ring never holds a packet the filter rejects.
        socket
            .attach_filter(&program)
            .map_err(|e| fail("setsockopt(SO_ATTACH_FILTER)", e))?;
        let ring = Ring::map(&socket, layout).map_err(|(call, e)| {
            fail(
                &format!(
                    "{call} of {} blocks of {} bytes (try a smaller ring size)",
                    layout.block_nr, layout.block_size
                ),
                e,
            )
        })?;
        if config.promiscuous {
            socket
                .add_promiscuous(ifindex)
                .map_err(|e| fail("setsockopt(PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC)", e))?;
        }
        socket
            .bind_all_protocols(ifindex)
            .map_err(|e| fail("bind", e))?;
        let fanout_group = match config.fanout {
            Some(fanout) => Some(join_fanout(&socket, fanout, config.direction, &name)?),
            None => None,
        };
        let waker = Arc::new(EventFd::new().map_err(|e| fail("eventfd", e))?);
        shared.install_waker(Arc::clone(&waker));
        Ok(Live {
            ring,
            socket,
            waker,
            name,
            ifindex,
            snaplen: config.snaplen,
            direction: config.direction,
            cursor: Cursor::default(),
            interfaces: Interfaces::default(),
            totals: Stats::default(),
            blocks_since_fold: 0,
            fanout_group,
        })
    }

    /// The fanout group the socket joined, if any.
    pub(crate) fn fanout_group(&self) -> Option<u16> {
        self.fanout_group
    }

    pub(crate) fn run<H: Handler + ?Sized>(
        &mut self,
        handler: &mut H,
        shared: &Shared,
    ) -> Result<LoopEnd, Error> {
        let Live {
            ring,
            socket,
            waker,
            name,
            snaplen,
            direction,
            cursor,
            interfaces,
            totals,
            blocks_since_fold,
            ..
        } = self;
        loop {
            if shared.is_ended() && shared.take_ended() {
                return Ok(LoopEnd::ByBreaker);
            }
            let Some(block) = ring.ready_block(cursor.block) else {
                let ready =
                    sys::poll_two(socket.raw(), waker.raw()).map_err(|source| Error::Os {
                        context: format!("poll on the packet socket of {name}"),
                        source,
                    })?;
                if ready.waker {
                    waker.drain();
                }
                if ready.source_error && !ready.source {
                    if let Some(source) = socket.take_error().ok().flatten() {
                        return Err(Error::Os {
                            context: format!("capture on {name} (did the interface go down?)"),
                            source,
                        });
                    }
                }
                continue;
            };
            let (count, first) = block.packets();
            let (mut done, mut offset) = cursor.resume.take().unwrap_or((0, first));
            let mut end = None;
            while done < count {
                if shared.is_ended() && shared.take_ended() {
                    end = Some(LoopEnd::ByBreaker);
                    break;
                }
                let Some(pkt) = block.packet(offset) else {
                    return Err(Error::Os {
                        context: format!(
                            "packet ring of {name}: block {} packet {done} at offset {offset} lies outside the block",
                            cursor.block
                        ),
                        source: io::Error::from(io::ErrorKind::InvalidData),
                    });
                };
                done += 1;
                offset = offset.wrapping_add(pkt.next_offset);
                if *direction == Direction::Out && pkt.pkttype != libc::PACKET_OUTGOING {
                    continue;
                }
                let iface = interfaces.get(socket, pkt.ifindex, pkt.hatype);
                let caplen = pkt.data.len().min(*snaplen as usize);
                let vlan = (pkt.status & libc::TP_STATUS_VLAN_VALID != 0).then_some(StrippedVlan {
                    tci: pkt.vlan_tci,
                    tpid: if pkt.status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
                        pkt.vlan_tpid
                    } else {
                        0x8100
                    },
                });
                let header = PacketHeader {
                    ts_ns: u64::from(pkt.sec) * 1_000_000_000 + u64::from(pkt.nsec),
                    caplen: caplen as u32,
                    len: pkt.len,
                    ifindex: pkt.ifindex as u32,
                    ifname: &iface.name,
                    pkttype: PacketType::from_sll(pkt.pkttype),
                    link_type: iface.link_type,
                    vlan,
                };
                if handler.on_packet(&header, &pkt.data[..caplen]) == Verdict::End {
                    end = Some(LoopEnd::ByHandler);
                    break;
                }
            }
            if done < count {
                cursor.resume = Some((done, offset));
            } else {
                ring.release(cursor.block);
                cursor.block = (cursor.block + 1) % ring.blocks();
                // The kernel's counters are 32-bit: fold them in long before
                // they can wrap (a block holds far fewer than 2^32 / FOLD_EVERY_BLOCKS
                // packets), so a capture of days still adds up.
                *blocks_since_fold += 1;
                if *blocks_since_fold >= FOLD_EVERY_BLOCKS {
                    *blocks_since_fold = 0;
                    fold_stats(socket, name, totals)?;
                }
            }
            if let Some(end) = end {
                return Ok(end);
            }
        }
    }

    /// Cumulative counters: reads (and so resets) the kernel's and adds them up.
    pub(crate) fn stats(&mut self) -> Result<Stats, Error> {
        fold_stats(&self.socket, &self.name, &mut self.totals)?;
        self.blocks_since_fold = 0;
        Ok(self.totals)
    }

    /// Replaces the socket filter with `program`, its `ret #k` clamped to the
    /// snap length, and drops what the ring holds, as libpcap does: attach a
    /// program that rejects everything, let the kernel retire the block it
    /// was filling, hand back every block from the cursor on, then attach
    /// `program`. Nothing accepted by the old program is delivered after this.
    pub(crate) fn set_filter(&mut self, program: &[BpfInsn]) -> Result<(), Error> {
        let program = bpf::clamp_to_snaplen(program, self.snaplen)?;
        let attach = |socket: &PacketSocket, program: &[libc::sock_filter], name: &str| {
            socket.attach_filter(program).map_err(|source| Error::Os {
                context: format!(
                    "setsockopt(SO_ATTACH_FILTER) on {name}: the kernel refused the program \
                 (check jumps stay inside it and it ends with a ret)"
                ),
                source,
            })
        };
        attach(&self.socket, &bpf::reject_all(), &self.name)?;
        self.drop_queued();
        attach(&self.socket, &program, &self.name)
    }

    /// With a filter rejecting everything attached: waits (a few block
    /// timeouts at most) for the kernel to retire the block it was filling,
    /// then releases every block from the cursor on and resets the cursor.
    /// The packets dropped stay counted as received (the kernel counted them).
    fn drop_queued(&mut self) {
        let ring = &mut self.ring;
        let blocks = ring.blocks();
        // The kernel fills blocks in order: the first one it owns from the
        // cursor on is the one it fills (none when the ring is full).
        let filling = (0..blocks)
            .map(|i| (self.cursor.block + i) % blocks)
            .find(|b| !ring.is_user(*b));
        if let Some(block) = filling {
            if ring.num_pkts(block) != 0 {
                let patience = ring.block_timeout() * 4 + Duration::from_millis(50);
                let deadline = Instant::now() + patience;
                while !ring.is_user(block) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if !ring.is_user(block) {
                    log::warn!(
                        "{}: the kernel did not retire its current block within {patience:?}; \
                         packets the previous filter accepted may still be delivered",
                        self.name
                    );
                }
            }
        }
        let mut block = self.cursor.block;
        for _ in 0..blocks {
            if !ring.is_user(block) {
                break;
            }
            ring.release(block);
            block = (block + 1) % blocks;
            self.blocks_since_fold = self.blocks_since_fold.saturating_add(1);
        }
        self.cursor = Cursor {
            block,
            resume: None,
        };
    }

    /// Sends `frame` as is on the session's interface.
    pub(crate) fn inject(&self, frame: &[u8]) -> Result<usize, Error> {
        if self.ifindex == 0 {
            return Err(Error::InvalidConfig(
                "cannot send on 'any': open the session on one interface to inject".into(),
            ));
        }
        crate::inject::send(&self.socket, self.ifindex, &self.name, frame)
    }

    pub(crate) fn close(self) -> Result<(), Error> {
        let Live { ring, name, .. } = self;
        ring.unmap().map_err(|source| Error::Os {
            context: format!("munmap of the packet ring of {name}"),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_types_map_to_link_types() {
        assert_eq!(link_type_of(libc::ARPHRD_ETHER), LinkType::ETHERNET);
        assert_eq!(link_type_of(libc::ARPHRD_LOOPBACK), LinkType::ETHERNET);
        assert_eq!(link_type_of(libc::ARPHRD_NONE), LinkType::RAW);
        assert_eq!(link_type_of(libc::ARPHRD_TUNNEL), LinkType::RAW);
        assert_eq!(
            link_type_of(libc::ARPHRD_IEEE80211_RADIOTAP),
            LinkType::IEEE802_11_RADIOTAP
        );
        assert_eq!(link_type_of(0x1234), LinkType(0xffff));
    }

    #[test]
    fn any_lists_every_hardware_type_with_a_known_link_type() {
        let links = live_link_types(&CaptureConfig::any()).unwrap();
        assert_eq!(links.len(), KNOWN_HATYPES.len());
        for (hatype, link) in &links {
            assert_eq!(*link, link_type_of(*hatype));
            assert_ne!(*link, LinkType(0xffff), "{hatype}");
        }
        let has = |h: u16, l: LinkType| links.contains(&(h, l));
        assert!(has(libc::ARPHRD_ETHER, LinkType::ETHERNET));
        assert!(has(libc::ARPHRD_LOOPBACK, LinkType::ETHERNET));
        assert!(has(libc::ARPHRD_NONE, LinkType::RAW));
        assert!(has(519, LinkType::RAW));
        assert!(has(libc::ARPHRD_SIT, LinkType::RAW));
    }
}
