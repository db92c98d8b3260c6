//! Options for opening a live capture session.

use std::path::PathBuf;
use std::time::Duration;

use crate::bpf::BpfInsn;

/// Which interface a session listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    /// Every interface of the network namespace (`any`).
    Any,
    /// One interface by name, e.g. `eth0`.
    Name(String),
}

impl Interface {
    /// `any` (or an empty string) means all interfaces; anything else is a name.
    pub fn parse(name: &str) -> Interface {
        if name.is_empty() || name == "any" {
            Interface::Any
        } else {
            Interface::Name(name.to_string())
        }
    }
}

/// Which packets to capture by direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Received and sent packets (the default).
    #[default]
    Both,
    /// Only packets received by this host (uses `PACKET_IGNORE_OUTGOING`).
    In,
    /// Only packets sent by this host.
    Out,
}

/// How to open a live session. Build with [`CaptureConfig::any`] or
/// [`CaptureConfig::interface`] and adjust with the setters.
#[derive(Debug, Clone)]
pub struct CaptureConfig {
    /// The interface to listen on.
    pub interface: Interface,
    /// Bytes kept of each packet (default 262144, as tcpdump; see
    /// [`CaptureConfig::check_snaplen`] for the range).
    pub snaplen: u32,
    /// Put the interface in promiscuous mode for the session's life.
    pub promiscuous: bool,
    /// Size of the kernel ring in bytes (default 4 MiB).
    pub ring_size: usize,
    /// How long the kernel waits before handing over a block that is not full.
    pub block_timeout: Duration,
    /// Which directions to capture.
    pub direction: Direction,
    /// Open the socket inside this network namespace (a path such as
    /// `/var/run/netns/NAME`) instead of the caller's.
    pub netns: Option<PathBuf>,
    /// Share the interface's packets with the other sessions of a fanout
    /// group (`PACKET_FANOUT`): each packet goes to one session of the group.
    pub fanout: Option<Fanout>,
    /// The classic BPF program the socket is opened with (its non-zero
    /// `ret #k` clamped to the snap length), attached before the socket is
    /// bound so that no packet it rejects ever reaches the ring; `None`
    /// accepts every packet.
    pub filter: Option<Vec<BpfInsn>>,
}

/// How a fanout group picks the session that gets a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FanoutMode {
    /// By the kernel's flow hash (addresses, protocol and ports, the same in
    /// both directions): a flow always goes to the same session
    /// (`PACKET_FANOUT_HASH`). IP fragments hash on addresses and protocol
    /// only, so the fragments of one datagram stay together too.
    #[default]
    Hash,
    /// Round robin, packet by packet (`PACKET_FANOUT_LB`).
    LoadBalance,
    /// By the CPU the packet was received on (`PACKET_FANOUT_CPU`).
    Cpu,
}

impl FanoutMode {
    /// The kernel's `PACKET_FANOUT_*` mode number.
    pub(crate) fn kernel_mode(self) -> u32 {
        match self {
            FanoutMode::Hash => libc::PACKET_FANOUT_HASH,
            FanoutMode::LoadBalance => libc::PACKET_FANOUT_LB,
            FanoutMode::Cpu => libc::PACKET_FANOUT_CPU,
        }
    }

    /// The mode's name as configs write it: `hash`, `lb` or `cpu`.
    pub fn name(self) -> &'static str {
        match self {
            FanoutMode::Hash => "hash",
            FanoutMode::LoadBalance => "lb",
            FanoutMode::Cpu => "cpu",
        }
    }

    /// Parses `hash`, `lb` (or `loadbalance`) and `cpu`.
    pub fn parse(name: &str) -> Option<FanoutMode> {
        match name {
            "hash" => Some(FanoutMode::Hash),
            "lb" | "loadbalance" => Some(FanoutMode::LoadBalance),
            "cpu" => Some(FanoutMode::Cpu),
            _ => None,
        }
    }
}

/// A `PACKET_FANOUT` group to join: the sessions of one group on one
/// interface share its packets, each packet going to exactly one of them.
///
/// Group ids are per network namespace and shared by every process in it.
/// [`Fanout::new_group`] asks the kernel for an id no group uses yet; read it
/// back with [`Session::fanout_group`](crate::Session::fanout_group) and open
/// the other sessions with [`Fanout::join`]. Every id, 0 included, is a group
/// like any other: the kernel hands out new ids from a counter that starts at
/// 0 when the machine boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fanout {
    /// Which group: a new one, or the one with a given id.
    pub group: FanoutGroup,
    /// How the group spreads packets.
    pub mode: FanoutMode,
}

/// The group a session joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanoutGroup {
    /// A new group with an id that no group in the namespace uses
    /// (`PACKET_FANOUT_FLAG_UNIQUEID`); the kernel picks the id.
    New,
    /// The group with this id, created by the first session that names it.
    Id(u16),
}

impl Fanout {
    /// A new group whose id the kernel picks.
    pub fn new_group(mode: FanoutMode) -> Fanout {
        Fanout {
            group: FanoutGroup::New,
            mode,
        }
    }

    /// Group `group` (created by the first session that names it; 0 is a
    /// group id like any other).
    pub fn join(group: u16, mode: FanoutMode) -> Fanout {
        Fanout {
            group: FanoutGroup::Id(group),
            mode,
        }
    }
}

impl CaptureConfig {
    /// Default snap length, as tcpdump's.
    pub const DEFAULT_SNAPLEN: u32 = 262_144;
    /// The smallest snap length a live capture takes.
    pub const MIN_SNAPLEN: u32 = 1;
    /// The largest snap length a live capture takes: 16 MiB, far above any
    /// packet (GRO builds 64 KiB ones, a capture file's records stop at
    /// 256 KiB), and the most that one ring frame is sized for.
    pub const MAX_SNAPLEN: u32 = 16 << 20;
    /// Default ring size.
    pub const DEFAULT_RING_SIZE: usize = 4 << 20;
    /// Default block timeout: short enough that packets on a quiet link reach
    /// the handler promptly.
    pub const DEFAULT_BLOCK_TIMEOUT: Duration = Duration::from_millis(10);

    /// Checks a snap length against the one rule for it:
    /// [`MIN_SNAPLEN`](Self::MIN_SNAPLEN) to [`MAX_SNAPLEN`](Self::MAX_SNAPLEN)
    /// bytes. A live session refuses any other; a config should refuse it
    /// when read, whatever its source, so that a value never passes there
    /// and fails only once the capture opens.
    ///
    /// # Errors
    /// "snap length N is out of range (1 to 16777216 bytes)".
    pub fn check_snaplen(snaplen: u32) -> Result<(), String> {
        if (Self::MIN_SNAPLEN..=Self::MAX_SNAPLEN).contains(&snaplen) {
            Ok(())
        } else {
            Err(format!(
                "snap length {snaplen} is out of range ({} to {} bytes)",
                Self::MIN_SNAPLEN,
                Self::MAX_SNAPLEN
            ))
        }
    }

    /// A session on all interfaces with default options.
    pub fn any() -> CaptureConfig {
        CaptureConfig::new(Interface::Any)
    }

    /// A session on one interface with default options.
    pub fn interface(name: &str) -> CaptureConfig {
        CaptureConfig::new(Interface::parse(name))
    }

    /// A session on `interface` with default options.
    pub fn new(interface: Interface) -> CaptureConfig {
        CaptureConfig {
            interface,
            snaplen: Self::DEFAULT_SNAPLEN,
            promiscuous: false,
            ring_size: Self::DEFAULT_RING_SIZE,
            block_timeout: Self::DEFAULT_BLOCK_TIMEOUT,
            direction: Direction::Both,
            netns: None,
            fanout: None,
            filter: None,
        }
    }

    /// Sets the snap length.
    pub fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = snaplen;
        self
    }

    /// Sets promiscuous mode.
    pub fn promiscuous(mut self, on: bool) -> Self {
        self.promiscuous = on;
        self
    }

    /// Sets the ring size in bytes.
    pub fn ring_size(mut self, bytes: usize) -> Self {
        self.ring_size = bytes;
        self
    }

    /// Sets the block timeout.
    pub fn block_timeout(mut self, timeout: Duration) -> Self {
        self.block_timeout = timeout;
        self
    }

    /// Sets the captured direction(s).
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Opens the socket inside the network namespace at `path`.
    pub fn netns(mut self, path: impl Into<PathBuf>) -> Self {
        self.netns = Some(path.into());
        self
    }

    /// Opens the session with `program` as its socket filter, in place of
    /// accepting everything: it is attached before the socket is bound, so
    /// the ring never holds a packet it rejects (unlike
    /// [`Session::set_filter`](crate::Session::set_filter) right after
    /// opening). Its non-zero `ret #k` are clamped to the snap length; an
    /// invalid program makes [`Session::open`](crate::Session::open) fail
    /// with [`Error::InvalidConfig`](crate::Error::InvalidConfig).
    pub fn filter(mut self, program: Vec<BpfInsn>) -> Self {
        self.filter = Some(program);
        self
    }

    /// Joins (or creates) a fanout group; `None` captures alone.
    pub fn fanout(mut self, fanout: Option<Fanout>) -> Self {
        self.fanout = fanout;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fanout_modes_parse_their_names() {
        for mode in [FanoutMode::Hash, FanoutMode::LoadBalance, FanoutMode::Cpu] {
            assert_eq!(FanoutMode::parse(mode.name()), Some(mode));
        }
        assert_eq!(FanoutMode::parse("rollover"), None);
        assert_eq!(FanoutMode::default(), FanoutMode::Hash);
        let c = CaptureConfig::any().fanout(Some(Fanout::new_group(FanoutMode::Cpu)));
        assert_eq!(
            c.fanout,
            Some(Fanout {
                group: FanoutGroup::New,
                mode: FanoutMode::Cpu
            })
        );
    }

    #[test]
    fn snap_lengths_from_1_byte_to_16_mib_are_taken() {
        for ok in [1, 64, CaptureConfig::DEFAULT_SNAPLEN, 16 << 20] {
            assert_eq!(CaptureConfig::check_snaplen(ok), Ok(()), "{ok}");
        }
        for bad in [0, (16 << 20) + 1, u32::MAX] {
            let e = CaptureConfig::check_snaplen(bad).unwrap_err();
            assert_eq!(
                e,
                format!("snap length {bad} is out of range (1 to 16777216 bytes)")
            );
        }
    }
}
