//! Running a plugin in `cargo test`, without a host or a `.so`: over a pcap/pcapng file or hand-built frames, with the host's decoding and tick rule, through the same hooks table a host calls.
//!
//! ```
//! use plugin_api::{LinkType, Packet, Plugin, TestKit, Verdict};
//!
//! /// Counts TCP SYNs (without ACK) and hides them from later plugins.
//! #[derive(Default)]
//! struct Syns(u64);
//!
//! impl Plugin for Syns {
//!     fn new(_config: &str) -> Result<Self, String> {
//!         Ok(Syns::default())
//!     }
//!     fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
//!         match packet.tcp() {
//!             Some(tcp) if tcp.flags & 0x12 == 0x02 => {
//!                 self.0 += 1;
//!                 Ok(Verdict::Stop)
//!             }
//!             _ => Ok(Verdict::Continue),
//!         }
//!     }
//!     fn report(&mut self) -> Result<String, String> {
//!         Ok(format!("{{\"syns\": {}}}", self.0))
//!     }
//! }
//!
//! // An Ethernet frame: IPv4 10.0.0.1 → 10.0.0.2, TCP 40000 → 80, SYN.
//! let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
//! frame.extend([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
//! frame.extend([0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
//!
//! let mut kit = TestKit::new::<Syns>("")?;
//! assert_eq!(kit.frame(LinkType::ETHERNET, &frame)?, Verdict::Stop);
//! assert_eq!(kit.frame(LinkType::ETHERNET, &frame[..30])?, Verdict::Continue);
//! // kit.file("tests/trace.pcapng")? runs it over a capture file.
//! assert_eq!(kit.finish()?, r#"{"syns": 1}"#);
//! # Ok::<(), String>(())
//! ```

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use capture_file::{LinkType, Never, Next, PacketHeader, Reader};

use crate::adapter::construct;
use crate::handler::Handler;
use crate::metrics::{gauge_value, MetricKind, MetricRegistry, MetricSpec};
use crate::packet::header_for;
use crate::{PacketDecoder, Plugin, TickClock, Verdict};

/// A metric the plugin registered with the test kit.
#[derive(Debug)]
struct Registered {
    kind: MetricKind,
    name: String,
    labels: Vec<(String, String)>,
    cell: &'static AtomicU64,
}

/// The test kit's metrics registry: every metric the plugin asks for, with
/// the checks a host makes (names, help, labels).
#[derive(Debug, Default)]
struct KitRegistry {
    metrics: Mutex<Vec<Registered>>,
}

impl MetricRegistry for KitRegistry {
    fn register(&self, spec: &MetricSpec<'_>) -> Result<&'static AtomicU64, String> {
        crate::metrics::check_spec(spec)?;
        let mut metrics = self
            .metrics
            .lock()
            .map_err(|_| "registry poisoned".to_string())?;
        let labels: Vec<(String, String)> = spec
            .labels
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect();
        if let Some(m) = metrics
            .iter()
            .find(|m| m.name == spec.name && m.labels == labels)
        {
            return if m.kind == spec.kind {
                Ok(m.cell)
            } else {
                Err(format!("metric `{}` registered as another kind", spec.name))
            };
        }
        // A few bytes for the test's life, as a host keeps its numbers.
        let cell: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        metrics.push(Registered {
            kind: spec.kind,
            name: spec.name.to_string(),
            labels,
            cell,
        });
        Ok(cell)
    }
}

/// One plugin instance, driven as netraf's host drives it: made through
/// the plugin's exported constructor, handed packets decoded by
/// a [`PacketDecoder`] as the host's, ticked once a second of packet time, shut down
/// before its last report.
pub struct TestKit {
    handler: Handler,
    registry: KitRegistry,
    decoder: PacketDecoder,
    clock: TickClock,
    ticks: u64,
}

impl std::fmt::Debug for TestKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKit")
            .field("ticks", &self.ticks)
            .finish_non_exhaustive()
    }
}

impl TestKit {
    /// Makes an instance of `P` from `config` (TOML text) through the
    /// constructor [`export_plugin!`](crate::export_plugin) exports, and
    /// attaches it to the kit's metrics registry (see [`TestKit::metric`]).
    ///
    /// # Errors
    /// The plugin's message (a panic included), from `new` or `attach`.
    pub fn new<P: Plugin>(config: &str) -> Result<TestKit, String> {
        match construct::<P>(config.into()) {
            abi_stable::std_types::RResult::ROk(raw) => {
                let mut kit = TestKit {
                    // SAFETY: `construct` made it, in this very program.
                    #[allow(unsafe_code)]
                    handler: unsafe { Handler::from_raw(raw) },
                    registry: KitRegistry::default(),
                    decoder: PacketDecoder::new(),
                    clock: TickClock::new(),
                    ticks: 0,
                };
                kit.handler.attach(&kit.registry)?;
                Ok(kit)
            }
            abi_stable::std_types::RResult::RErr(message) => Err(message.into_string()),
        }
    }

    /// The value of the metric the plugin registered as `name` with
    /// `labels` (in the order it gave them), as a scrape would read it now;
    /// `None` if it registered no such metric.
    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let metrics = self.registry.metrics.lock().ok()?;
        let m = metrics.iter().find(|m| {
            m.name == name
                && m.labels.len() == labels.len()
                && m.labels
                    .iter()
                    .zip(labels)
                    .all(|(a, b)| a.0 == b.0 && a.1 == b.1)
        })?;
        Some(match m.kind {
            MetricKind::Counter => m.cell.load(Ordering::Relaxed) as f64,
            MetricKind::Gauge => gauge_value(m.cell),
        })
    }

    /// Hands the plugin one packet captured as `header` says (a tick first
    /// when its time crossed a second); its verdict.
    ///
    /// # Errors
    /// The plugin's message: the host would disable it.
    pub fn packet(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> Result<Verdict, String> {
        if let Some(at) = self.clock.advance(header.ts_ns) {
            self.ticks += 1;
            self.handler.on_tick(at)?;
        }
        self.handler.on_packet(self.decoder.decode(header, data))
    }

    /// Hands the plugin `data`, a whole frame of `link_type`, at time 0 on
    /// interface 0, addressed to this host.
    ///
    /// # Errors
    /// As [`TestKit::packet`].
    pub fn frame(&mut self, link_type: LinkType, data: &[u8]) -> Result<Verdict, String> {
        self.packet(&header_for(data, link_type), data)
    }

    /// Hands the plugin every packet of a pcap or pcapng file, in order;
    /// the verdicts.
    ///
    /// # Errors
    /// An unreadable or damaged file (its path and what is wrong), or the
    /// plugin's message.
    pub fn file(&mut self, path: impl AsRef<Path>) -> Result<Vec<Verdict>, String> {
        let path = path.as_ref();
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let mut reader = Reader::open(path).map_err(|e| fail(&e))?;
        let mut verdicts = Vec::new();
        loop {
            match reader.next(&Never).map_err(|e| fail(&e))? {
                Next::Packet(record, data) => {
                    verdicts.push(self.packet(&PacketHeader::of_record(&record), data)?);
                }
                Next::Eof | Next::Ended => return Ok(verdicts),
            }
        }
    }

    /// How many ticks the plugin got.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// The plugin's report so far.
    ///
    /// # Errors
    /// The plugin's message.
    pub fn report(&mut self) -> Result<String, String> {
        self.handler.report()
    }

    /// Ends the run as the host does: `shutdown`, then the report.
    ///
    /// # Errors
    /// The plugin's message from either.
    pub fn finish(mut self) -> Result<String, String> {
        self.handler.shutdown()?;
        self.handler.report()
    }
}
