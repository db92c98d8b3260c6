//! The program's flow: read the config, load the chain, capture until the end, shut the plugins down and report.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mycap_core::{Breaker, CaptureConfig, LoopEnd, PacketHeader, Session, Verdict};

use crate::chain::{Chain, ChainSpec, TICK_NS};
use crate::cli::Cli;
use crate::config::{default_plugin_dir, Capture, Config, Source};
use crate::loader;
use crate::report::{exit_lines, CaptureReport, PluginReport, Report};

/// Why the program ends unsuccessfully; the message is one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A bad config, command line or plugin: nothing was captured (exit 2).
    Setup(String),
    /// The capture failed or a plugin was disabled while running (exit 1).
    Run(String),
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Setup(_) => 2,
            Failure::Run(_) => 1,
        }
    }

    /// The one-line reason.
    pub fn message(&self) -> &str {
        match self {
            Failure::Setup(m) | Failure::Run(m) => m,
        }
    }
}

/// Runs the program for a parsed command line.
///
/// # Errors
/// A [`Failure`] with its one-line reason; details were logged before.
pub fn run(cli: &Cli) -> Result<(), Failure> {
    if cli.list_plugins {
        return list_plugins(cli);
    }
    let config = load_config(cli)?;
    let spec = load_chain(&config)?;
    let chain = instantiate(&spec)?;
    if cli.check_config {
        let names: Vec<&str> = spec
            .entries()
            .iter()
            .map(|(e, _)| e.name.as_str())
            .collect();
        eprintln!(
            "{}: config ok, {} plugin(s) loaded: {}",
            config.file.display(),
            names.len(),
            names.join(", ")
        );
        let mut chain = chain;
        chain.shutdown();
        return Ok(());
    }
    capture(cli, &config, chain)
}

fn plugin_dir(cli: &Cli) -> PathBuf {
    cli.plugin_dir.clone().unwrap_or_else(default_plugin_dir)
}

/// Reads the config and applies the command line's overrides.
fn load_config(cli: &Cli) -> Result<Config, Failure> {
    let Some(file) = &cli.config else {
        return Err(Failure::Setup("no config given (use --config FILE)".into()));
    };
    let mut config =
        Config::load(file, cli.plugin_dir.as_deref()).map_err(|e| Failure::Setup(e.to_string()))?;
    if let Some(read) = &cli.read {
        config.capture.source = Source::File(read.clone());
    }
    if let Some(interface) = &cli.interface {
        config.capture.source = Source::Interface(interface.clone());
    }
    Ok(config)
}

fn load_chain(config: &Config) -> Result<ChainSpec, Failure> {
    ChainSpec::load(&config.plugins).map_err(|errors| {
        for e in &errors {
            log::error!("cannot load plugin: {e}");
            if let Some(detail) = &e.detail {
                log::debug!("{}: full loader message:{detail}", e.path.display());
            }
        }
        let enabled = config.plugins.iter().filter(|p| p.enabled).count();
        Failure::Setup(format!(
            "{}: {} of {enabled} plugin(s) failed to load (see above)",
            config.file.display(),
            errors.len()
        ))
    })
}

fn instantiate(spec: &ChainSpec) -> Result<Chain, Failure> {
    spec.instantiate().map_err(|errors| {
        for e in &errors {
            log::error!("{e}");
        }
        Failure::Setup(format!(
            "{} plugin(s) refused their config (see above)",
            errors.len()
        ))
    })
}

/// `--list-plugins`: the config's plugins, then every other plugin library in
/// the plugin directory.
fn list_plugins(cli: &Cli) -> Result<(), Failure> {
    let mut paths: Vec<(PathBuf, bool)> = Vec::new();
    let mut dir = plugin_dir(cli);
    if cli.config.is_some() {
        let config = load_config(cli)?;
        dir = config.plugin_dir.clone();
        paths.extend(config.plugins.iter().map(|p| (p.path.clone(), true)));
    }
    let mut in_dir: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "so"))
                .collect()
        })
        .unwrap_or_default();
    in_dir.sort();
    for p in in_dir {
        let known = paths.iter().any(|(q, _)| same_file(q, &p));
        if !known {
            paths.push((p, false));
        }
    }
    let mut rows = Vec::new();
    let mut failed = 0;
    for (path, named) in &paths {
        match loader::load(path) {
            Ok(lib) => rows.push([
                lib.name().to_string(),
                lib.version().to_string(),
                lib.abi_version().to_string(),
                path.display().to_string(),
                lib.description().to_string(),
            ]),
            // Other libraries in the folder that are not plugins are not listed.
            Err(e) if *named => {
                failed += 1;
                log::error!("cannot load plugin: {e}");
            }
            Err(e) => log::debug!("skipping {}: {}", path.display(), e.reason),
        }
    }
    let header = ["NAME", "VERSION", "ABI", "PATH", "DESCRIPTION"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let [a, b, c, d, e] = row;
        let [wa, wb, wc, wd] = widths;
        println!("{a:<wa$}  {b:<wb$}  {c:<wc$}  {d:<wd$}  {e}");
    }
    if failed > 0 {
        return Err(Failure::Setup(format!(
            "{failed} plugin(s) named in the config failed to load (see above)"
        )));
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn open_session(capture: &Capture) -> Result<Session, mycap_core::Error> {
    match &capture.source {
        Source::File(path) => Session::open_file(path),
        Source::Interface(name) => {
            let mut c = CaptureConfig::interface(name)
                .snaplen(capture.snaplen)
                .promiscuous(capture.promiscuous)
                .ring_size(capture.ring_size);
            if let Some(netns) = &capture.netns {
                c = c.netns(netns.clone());
            }
            Session::open(&c)
        }
    }
}

fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Installs the SIGINT and SIGTERM handlers: the first sets the returned
/// flag (the capture then ends cleanly), a second one ends the process.
fn install_signal_handlers() -> Result<Arc<AtomicBool>, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .map_err(|e| Failure::Setup(format!("cannot install a signal handler: {e}")))?;
    }
    Ok(stop)
}

/// The thread beside the capture loop: turns signals and the `--duration`
/// deadline into a loop end, and asks for wall-clock ticks on an idle live link.
struct Control {
    stop: Arc<AtomicBool>,
    tick_due: Arc<AtomicBool>,
    last_packet_ns: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Control {
    /// Starts the thread; `stop` is the flag the signal handlers set.
    fn start(
        breaker: Breaker,
        live: bool,
        duration: Option<Duration>,
        stop: Arc<AtomicBool>,
    ) -> Result<Control, Failure> {
        let tick_due = Arc::new(AtomicBool::new(false));
        let last_packet_ns = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let deadline = duration.map(|d| Instant::now() + d);
        let (s, t, l, d) = (
            Arc::clone(&stop),
            Arc::clone(&tick_due),
            Arc::clone(&last_packet_ns),
            Arc::clone(&done),
        );
        let thread = std::thread::Builder::new()
            .name("netraf-control".into())
            .spawn(move || {
                let mut last_tick_ns = wall_ns();
                let mut ended = false;
                while !d.load(Ordering::Acquire) {
                    // `finish` unparks the thread, so that the end waits for no sleep.
                    std::thread::park_timeout(Duration::from_millis(20));
                    if deadline.is_some_and(|at| Instant::now() >= at) {
                        s.store(true, Ordering::Release);
                    }
                    if s.load(Ordering::Acquire) {
                        if !ended {
                            breaker.end();
                            ended = true;
                        }
                        continue;
                    }
                    let now = wall_ns();
                    let last = l.load(Ordering::Relaxed).max(last_tick_ns);
                    if live && now.saturating_sub(last) >= TICK_NS {
                        last_tick_ns = now;
                        t.store(true, Ordering::Release);
                        breaker.end();
                    }
                }
            })
            .map_err(|e| Failure::Setup(format!("cannot start the control thread: {e}")))?;
        Ok(Control {
            stop,
            tick_due,
            last_packet_ns,
            done,
            thread: Some(thread),
        })
    }

    fn finish(&mut self) {
        self.done.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.finish();
    }
}

fn capture(cli: &Cli, config: &Config, mut chain: Chain) -> Result<(), Failure> {
    let source = config.capture.source.to_string();
    // Before opening: a signal while the capture starts still ends it cleanly.
    let stop = install_signal_handlers()?;
    let mut session = match open_session(&config.capture) {
        Ok(s) => s,
        Err(e) => {
            chain.shutdown();
            return Err(Failure::Run(format!("cannot capture from {source}: {e}")));
        }
    };
    let live = matches!(config.capture.source, Source::Interface(_));
    let duration = match cli.duration {
        Some(secs) if !(secs.is_finite() && secs > 0.0) => {
            chain.shutdown();
            return Err(Failure::Setup(format!(
                "--duration {secs}: give a positive number of seconds"
            )));
        }
        Some(secs) => Some(Duration::from_secs_f64(secs)),
        None => None,
    };
    let mut control = Control::start(session.breaker(), live, duration, stop)?;
    log::info!("capturing from {source} with {} plugin(s)", chain.len());

    let started = Instant::now();
    let limit = cli.count.unwrap_or(u64::MAX);
    let (mut packets, mut bytes) = (0u64, 0u64);
    let mut failure = None;
    if limit > 0 {
        loop {
            let last_packet_ns = &control.last_packet_ns;
            let chain_ref = &mut chain;
            let mut handler = |header: &PacketHeader<'_>, data: &[u8]| {
                packets += 1;
                bytes += u64::from(header.caplen);
                last_packet_ns.store(header.ts_ns, Ordering::Relaxed);
                chain_ref.on_packet(header, data);
                if packets >= limit {
                    Verdict::Stop
                } else {
                    Verdict::Continue
                }
            };
            match session.run(&mut handler) {
                Ok(LoopEnd::Stopped | LoopEnd::Eof) => break,
                Ok(LoopEnd::Ended) => {
                    if control.stop.load(Ordering::Acquire) {
                        break;
                    }
                    if control.tick_due.swap(false, Ordering::AcqRel) {
                        chain.advance(wall_ns());
                    }
                }
                Err(e) => {
                    failure = Some(format!("capture from {source} failed: {e}"));
                    break;
                }
            }
        }
    }
    control.finish();
    let seconds = started.elapsed().as_secs_f64();
    let stats = session.stats().unwrap_or_else(|e| {
        log::warn!("cannot read the kernel's packet statistics: {e}");
        mycap_core::Stats::default()
    });
    if let Err(e) = session.close() {
        log::warn!("closing the capture on {source}: {e}");
    }

    // Shut down first (flush, close), then report the final state.
    chain.shutdown();
    let reports = chain.reports();
    for (name, report) in &reports {
        eprintln!("{name}: {report}");
    }
    let report = Report {
        capture: CaptureReport {
            source,
            packets,
            bytes,
            dropped: stats.dropped,
            seconds,
        },
        plugins: reports
            .into_iter()
            .map(|(name, report)| PluginReport { name, report })
            .collect(),
    };
    if let Some(path) = &cli.report_json {
        if let Err(e) = report.write_to(path) {
            failure.get_or_insert(format!(
                "cannot write the report to {}: {e} (check the folder exists and is writable)",
                path.display()
            ));
        }
    }
    eprint!(
        "{}",
        exit_lines(packets, stats.received.max(packets), stats.dropped)
    );
    if let Some(f) = failure {
        return Err(Failure::Run(f));
    }
    let failed = chain.failures();
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|(n, _)| *n).collect();
        return Err(Failure::Run(format!(
            "plugin(s) disabled after an error: {} (see above)",
            names.join(", ")
        )));
    }
    Ok(())
}
