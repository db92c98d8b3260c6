//! Metrics a plugin publishes through its host (plugin-api 1.1): counters and gauges registered once, in [`Plugin::attach`](crate::Plugin::attach), each a number in the host's memory that the plugin updates with one relaxed atomic operation and the host reads when it is scraped.
//!
//! Across the boundary: [`HostServices`], a `#[repr(C)]` table headed by
//! its size (a later minor release may add services at its end), whose
//! `register_metric` takes a [`MetricSpec`] and hands back the address of
//! the metric's number. The host keeps every number it hands out for as
//! long as its process lives, so a plugin may hold it for its whole life;
//! registering the same metric again (the same instance after a reload,
//! say) hands back the same number.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};

use abi_stable::std_types::{RErr, ROk, RResult, RSlice, RStr, RString};

/// What a metric is: a counter only goes up (its name ends in `_total`), a
/// gauge goes anywhere.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A total that only goes up (e.g. storms seen).
    Counter = 0,
    /// A value that goes up and down (e.g. flows in the table).
    Gauge = 1,
}

/// A label of a metric across the boundary.
#[repr(C)]
struct RawLabel<'a> {
    name: RStr<'a>,
    value: RStr<'a>,
}

/// A metric to register, as it crosses the boundary.
#[repr(C)]
struct RawSpec<'a> {
    kind: u8,
    name: RStr<'a>,
    help: RStr<'a>,
    labels: RSlice<'a, RawLabel<'a>>,
}

/// The services a host hands a plugin in `attach`, laid out as the
/// host's build of plugin-api has them.
#[repr(C)]
pub struct HostServices {
    /// `size_of::<HostServices>()` in the host's build.
    size: usize,
    /// The host's registry (opaque to the plugin).
    context: *const c_void,
    /// Registers a metric: the address of its number, or why not.
    register_metric: unsafe extern "C" fn(
        context: *const c_void,
        spec: *const RawSpec<'_>,
    ) -> RResult<*const AtomicU64, RString>,
}

/// A metric a plugin asks for, as the host's registry sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSpec<'a> {
    /// Counter or gauge.
    pub kind: MetricKind,
    /// The name, e.g. `storms_total` (the host says what it accepts).
    pub name: &'a str,
    /// One line saying what it counts.
    pub help: &'a str,
    /// Label names and values (few and of few values: no addresses).
    pub labels: Vec<(&'a str, &'a str)>,
}

impl<'a> MetricSpec<'a> {
    /// A spec of `kind` named `name`, with `help` and `labels`.
    pub fn new(
        kind: MetricKind,
        name: &'a str,
        help: &'a str,
        labels: &[(&'a str, &'a str)],
    ) -> Self {
        MetricSpec {
            kind,
            name,
            help,
            labels: labels.to_vec(),
        }
    }
}

/// What a host implements to take a plugin's metrics (netraf-host's
/// metrics endpoint, the test kit).
pub trait MetricRegistry {
    /// The number behind `spec`, kept for the rest of the process (the same
    /// one for the same spec), or a one-line reason for refusing it.
    ///
    /// # Errors
    /// A name, help text or label the registry does not accept.
    fn register(&self, spec: &MetricSpec<'_>) -> Result<&'static AtomicU64, String>;
}

/// Label names a host sets itself on every plugin metric.
pub const RESERVED_LABELS: [&str; 2] = ["plugin", "worker"];

/// Whether `name` is a metric or label name as Prometheus has them
/// (`[a-zA-Z_][a-zA-Z0-9_]*`, no colon: colons are for recording rules).
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The checks every registry makes of a plugin's metric: a Prometheus name
/// (a counter's ending in `_total`), help text on one line, label names
/// that are names, not reserved and not repeated, at most 8 labels.
///
/// # Errors
/// One line naming the metric and what is wrong.
pub fn check_spec(spec: &MetricSpec<'_>) -> Result<(), String> {
    let name = spec.name;
    if !is_name(name) || name.starts_with("__") {
        return Err(format!(
            "metric name `{}` is not a Prometheus name ([a-zA-Z_][a-zA-Z0-9_]*)",
            crate::escape(name)
        ));
    }
    if spec.kind == MetricKind::Counter && !name.ends_with("_total") {
        return Err(format!(
            "counter `{name}`: a counter's name ends in `_total`"
        ));
    }
    if spec.help.trim().is_empty() || spec.help.chars().any(char::is_control) {
        return Err(format!(
            "metric `{name}`: help text must be one non-empty line"
        ));
    }
    if spec.labels.len() > 8 {
        return Err(format!("metric `{name}`: more than 8 labels"));
    }
    for (i, (label, _)) in spec.labels.iter().enumerate() {
        if !is_name(label) || label.starts_with("__") {
            return Err(format!(
                "metric `{name}`: label name `{}` is not a Prometheus name",
                crate::escape(label)
            ));
        }
        if RESERVED_LABELS.contains(label) {
            return Err(format!(
                "metric `{name}`: label `{label}` is set by the host (reserved: plugin, worker)"
            ));
        }
        if spec.labels[..i].iter().any(|(other, _)| other == label) {
            return Err(format!("metric `{name}`: label `{label}` given twice"));
        }
    }
    Ok(())
}

/// The registry behind a [`HostServices`] table this crate made.
struct Context<'r> {
    registry: &'r dyn MetricRegistry,
}

#[allow(unsafe_code)]
unsafe extern "C" fn register_with(
    context: *const c_void,
    spec: *const RawSpec<'_>,
) -> RResult<*const AtomicU64, RString> {
    // SAFETY: `context` is the `Context` that `HostServices::of` made, alive
    // through the `attach` call it was made for; `spec` is a `RawSpec` the
    // plugin's `Host` made for this call.
    let (context, spec) = unsafe { (&*context.cast::<Context<'_>>(), &*spec) };
    let kind = match spec.kind {
        0 => MetricKind::Counter,
        1 => MetricKind::Gauge,
        n => return RErr(format!("metric kind {n} is not known to this host").into()),
    };
    let spec = MetricSpec {
        kind,
        name: spec.name.as_str(),
        help: spec.help.as_str(),
        labels: spec
            .labels
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect(),
    };
    match context.registry.register(&spec) {
        Ok(cell) => ROk(std::ptr::from_ref(cell)),
        Err(message) => RErr(message.into()),
    }
}

impl HostServices {
    /// Runs `f` with a services table over `registry` (the host's side: the
    /// table lives for the call, as a plugin's `attach` may use it).
    pub fn with<T>(registry: &dyn MetricRegistry, f: impl FnOnce(&HostServices) -> T) -> T {
        let context = Context { registry };
        let services = HostServices {
            size: std::mem::size_of::<HostServices>(),
            context: std::ptr::from_ref(&context).cast(),
            register_metric: register_with,
        };
        f(&services)
    }
}

/// What a plugin's [`attach`](crate::Plugin::attach) gets from its host:
/// where to register its metrics.
pub struct Host<'s> {
    services: &'s HostServices,
}

impl std::fmt::Debug for Host<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("services_size", &self.services.size)
            .finish_non_exhaustive()
    }
}

impl<'s> Host<'s> {
    /// The plugin's view of the table its host passed.
    pub(crate) fn new(services: &'s HostServices) -> Host<'s> {
        Host { services }
    }

    /// A counter, e.g. `host.counter("storms_total", "broadcast storms seen", &[])`.
    ///
    /// # Errors
    /// The host's reason for refusing it (a name not ending in `_total`, a
    /// label it reserves, ...).
    pub fn counter(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Counter, String> {
        self.register(MetricKind::Counter, name, help, labels)
            .map(|cell| Counter { cell })
    }

    /// A gauge, e.g. `host.gauge("flows_active", "flows in the table", &[])`.
    ///
    /// # Errors
    /// As [`Host::counter`].
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Result<Gauge, String> {
        self.register(MetricKind::Gauge, name, help, labels)
            .map(|cell| Gauge { cell })
    }

    #[allow(unsafe_code)]
    fn register(
        &self,
        kind: MetricKind,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<&'static AtomicU64, String> {
        let labels: Vec<RawLabel<'_>> = labels
            .iter()
            .map(|(name, value)| RawLabel {
                name: RStr::from_str(name),
                value: RStr::from_str(value),
            })
            .collect();
        let spec = RawSpec {
            kind: kind as u8,
            name: RStr::from_str(name),
            help: RStr::from_str(help),
            labels: RSlice::from_slice(&labels),
        };
        // SAFETY: a host of plugin-api 1.1 or later passed this table (the
        // hook that hands it over is 1.1's), and `register_metric` is in
        // every 1.1 table; `spec` lives through the call.
        match unsafe { (self.services.register_metric)(self.services.context, &spec) } {
            // SAFETY: the host keeps the number for the rest of the process
            // (the promise of `MetricRegistry::register`).
            ROk(cell) if !cell.is_null() => Ok(unsafe { &*cell }),
            ROk(_) => Err(format!("the host gave no number for metric `{name}`")),
            RErr(message) => Err(message.into_string()),
        }
    }
}

/// The number of metrics made without a host (before `attach`, or in a
/// host older than plugin-api 1.1): written, never read.
static DETACHED: AtomicU64 = AtomicU64::new(0);

/// A counter registered with the host: [`Counter::default`] is one that
/// goes nowhere, for a plugin whose host takes no metrics.
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    cell: &'static AtomicU64,
}

impl Default for Counter {
    fn default() -> Counter {
        Counter { cell: &DETACHED }
    }
}

impl Counter {
    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.cell.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Sets the total the plugin keeps itself (it must never go down): one
    /// plain store, e.g. once a tick from the plugin's own count.
    #[inline]
    pub fn set_total(&self, total: u64) {
        self.cell.store(total, Ordering::Relaxed);
    }
}

/// A gauge registered with the host: [`Gauge::default`] goes nowhere.
#[derive(Debug, Clone, Copy)]
pub struct Gauge {
    cell: &'static AtomicU64,
}

impl Default for Gauge {
    fn default() -> Gauge {
        Gauge { cell: &DETACHED }
    }
}

impl Gauge {
    /// Sets the value.
    #[inline]
    pub fn set(&self, value: f64) {
        self.cell.store(value.to_bits(), Ordering::Relaxed);
    }
}

/// A gauge's number as its value (gauges hold the bits of an `f64`), for
/// a registry reading what plugins wrote.
pub fn gauge_value(cell: &AtomicU64) -> f64 {
    f64::from_bits(cell.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LinkType, Packet, Plugin, TestKit, Verdict};

    fn spec<'a>(
        kind: MetricKind,
        name: &'a str,
        labels: Vec<(&'a str, &'a str)>,
    ) -> MetricSpec<'a> {
        MetricSpec::new(kind, name, "what it counts", &labels)
    }

    #[test]
    fn names_help_and_labels_are_checked() {
        use MetricKind::{Counter, Gauge};
        assert!(check_spec(&spec(Counter, "storms_total", vec![("kind", "arp")])).is_ok());
        assert!(check_spec(&spec(Gauge, "flows_active", vec![])).is_ok());
        let refused = [
            (spec(Counter, "storms", vec![]), "ends in `_total`"),
            (spec(Gauge, "flows-active", vec![]), "not a Prometheus name"),
            (spec(Gauge, "", vec![]), "not a Prometheus name"),
            (spec(Gauge, "9lives", vec![]), "not a Prometheus name"),
            (spec(Gauge, "__x", vec![]), "not a Prometheus name"),
            (spec(Gauge, "g", vec![("plugin", "x")]), "set by the host"),
            (spec(Gauge, "g", vec![("worker", "1")]), "set by the host"),
            (
                spec(Gauge, "g", vec![("a", "1"), ("a", "2")]),
                "given twice",
            ),
            (
                spec(Gauge, "g", vec![("a b", "1")]),
                "not a Prometheus name",
            ),
        ];
        for (s, why) in refused {
            let e = check_spec(&s).expect_err(s.name);
            assert!(e.contains(why), "{e}");
        }
        let mut no_help = spec(Gauge, "g", vec![]);
        no_help.help = " ";
        assert!(check_spec(&no_help).is_err());
        no_help.help = "two\nlines";
        assert!(check_spec(&no_help).is_err());
    }

    /// Counts packets into a counter and the last length into a gauge; with
    /// `bad`, asks for a counter the host refuses.
    #[derive(Default)]
    struct Metered {
        packets: Counter,
        last_len: Gauge,
        bad: bool,
    }

    impl Plugin for Metered {
        fn new(config: &str) -> Result<Self, String> {
            Ok(Metered {
                bad: config == "bad",
                ..Metered::default()
            })
        }
        fn attach(&mut self, host: &Host<'_>) -> Result<(), String> {
            let name = if self.bad { "packets" } else { "packets_total" };
            self.packets = host.counter(name, "packets seen", &[("side", "any")])?;
            self.last_len = host.gauge("last_length_bytes", "the last packet's length", &[])?;
            Ok(())
        }
        fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
            self.packets.inc();
            self.last_len.set(f64::from(packet.caplen()));
            Ok(Verdict::Continue)
        }
    }

    #[test]
    fn a_plugin_registers_in_attach_and_its_numbers_are_read() {
        let mut kit = TestKit::new::<Metered>("").expect("attached");
        assert_eq!(kit.metric("packets_total", &[("side", "any")]), Some(0.0));
        for len in [60usize, 1514, 98] {
            kit.frame(LinkType::ETHERNET, &vec![0u8; len])
                .expect("packet");
        }
        assert_eq!(kit.metric("packets_total", &[("side", "any")]), Some(3.0));
        assert_eq!(kit.metric("last_length_bytes", &[]), Some(98.0));
        assert_eq!(
            kit.metric("packets_total", &[]),
            None,
            "labels are part of it"
        );
        let e = TestKit::new::<Metered>("bad").expect_err("refused");
        assert!(e.contains("ends in `_total`"), "{e}");
    }

    #[test]
    fn metrics_without_a_host_go_nowhere() {
        let plugin = Metered::default();
        plugin.packets.add(5);
        plugin.last_len.set(1.5);
    }
}
