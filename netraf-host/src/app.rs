//! The program's flow: read the config, load the chain, capture until the end, shut the plugins down and report.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mycap_core::{Breaker, CaptureConfig, Fanout, LoopEnd, PacketHeader, Session, Verdict};

use crate::chain::{Chain, ChainSpec, TICK_NS};
use crate::cli::Cli;
use crate::config::{default_plugin_dir, Capture, Config, Source};
use crate::loader;
use crate::report::{exit_lines, CaptureReport, PluginReport, Report};
use crate::signals::{self, Requests};

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
    if let Some(path) = &cli.report_json {
        plugin_api::output_file::refuse_link(path)
            .map_err(|e| Failure::Setup(format!("--report-json: {e}")))?;
    }
    let config = load_config(cli)?;
    let spec = load_chain(&config)?;
    let chain = instantiate(&spec)?;
    if cli.check_config {
        if let Err(e) = check_source(&config.capture) {
            let mut chain = chain;
            chain.shutdown();
            return Err(Failure::Setup(format!("{}: {e}", config.file.display())));
        }
        let names: Vec<String> = spec
            .entries()
            .iter()
            .map(|(e, _)| plugin_api::escape(&e.name).to_string())
            .collect();
        eprintln!(
            "{}: config ok, {} plugin(s) loaded: {}",
            plugin_api::escape(&config.file.display().to_string()),
            names.len(),
            names.join(", ")
        );
        let mut chain = chain;
        chain.shutdown();
        return Ok(());
    }
    capture(cli, &config, &spec, chain)
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
    if let Some(workers) = cli.workers {
        config.capture.workers = usize::from(workers);
    }
    let chain: Vec<&str> = config
        .plugins
        .iter()
        .filter(|p| p.enabled)
        .map(|p| p.name.as_str())
        .collect();
    log::debug!(
        "{}: capture from {} (snaplen {}, {} worker(s)), chain: {}",
        file.display(),
        config.capture.source,
        config.capture.snaplen,
        config.capture.workers,
        chain.join(" -> ")
    );
    Ok(config)
}

fn load_chain(config: &Config) -> Result<ChainSpec, Failure> {
    ChainSpec::load(&config.plugins).map_err(|errors| {
        for e in &errors {
            log::error!("cannot load plugin: {e}");
            if let Some(detail) = &e.detail {
                log::debug!("{}: full loader message:", e.path.display());
                for line in detail.lines() {
                    log::debug!("    {line}");
                }
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
            Ok(lib) => rows.push(
                [
                    lib.name().to_string(),
                    lib.version().to_string(),
                    lib.abi_version().to_string(),
                    path.display().to_string(),
                    lib.description().to_string(),
                ]
                .map(|cell| plugin_api::escape(&cell).to_string()),
            ),
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

/// MYCAP's settings for capturing on interface `name` as `capture` says.
fn live_config(capture: &Capture, name: &str, fanout: Option<Fanout>) -> CaptureConfig {
    let mut c = CaptureConfig::interface(name)
        .snaplen(capture.snaplen)
        .promiscuous(capture.promiscuous)
        .ring_size(capture.ring_size)
        .fanout(fanout);
    if let Some(netns) = &capture.netns {
        c = c.netns(netns.clone());
    }
    c
}

fn open_session(capture: &Capture, fanout: Option<Fanout>) -> Result<Session, mycap_core::Error> {
    match &capture.source {
        Source::File(path) => Session::open_file(path),
        Source::Interface(name) => Session::open(&live_config(capture, name, fanout)),
    }
}

/// What `--check-config` can check of the source without capturing: that
/// the interface exists in its namespace and is up, or that the file is
/// there. Without the permission to open a packet socket the interface goes
/// unchecked, with a warning.
fn check_source(capture: &Capture) -> Result<(), String> {
    match &capture.source {
        Source::Interface(name) => match Session::check(&live_config(capture, name, None)) {
            Err(mycap_core::Error::Permission) => {
                log::warn!(
                    "interface {name} not checked: opening a packet socket needs root or \
                     CAP_NET_RAW"
                );
                Ok(())
            }
            other => other.map_err(|e| e.to_string()),
        },
        Source::File(path) if path.as_os_str() == "-" => Ok(()),
        Source::File(path) => std::fs::metadata(path)
            .map(drop)
            .map_err(|e| format!("cannot read capture file {}: {e}", path.display())),
    }
}

/// Opens `workers` sessions: one alone, or several in a new fanout group of
/// the config's mode (the kernel picks the group id, so that no other
/// process's group is joined by mistake). Returns the group id too.
fn open_sessions(
    capture: &Capture,
    workers: usize,
) -> Result<(Vec<Session>, Option<u16>), mycap_core::Error> {
    if workers <= 1 {
        return Ok((vec![open_session(capture, None)?], None));
    }
    let first = open_session(capture, Some(Fanout::new_group(capture.fanout)))?;
    let Some(group) = first.fanout_group() else {
        return Err(mycap_core::Error::InvalidConfig(
            "the first capture session joined no fanout group (is the source live?)".into(),
        ));
    };
    let mut sessions = vec![first];
    for _ in 1..workers {
        let session = open_session(capture, Some(Fanout::join(group, capture.fanout)))?;
        // Two groups would give every frame to a worker of each.
        if session.fanout_group() != Some(group) {
            return Err(mycap_core::Error::InvalidConfig(format!(
                "a capture worker landed in fanout group {:?}, not in the first worker's {group}",
                session.fanout_group()
            )));
        }
        sessions.push(session);
    }
    Ok((sessions, Some(group)))
}

fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Installs the signal handlers (see [`signals`]): an ending signal sets the
/// `end` flag (the capture then ends cleanly), SIGUSR1 asks for the reports.
fn install_signal_handlers() -> Result<Requests, Failure> {
    signals::install(Arc::new(AtomicBool::new(false))).map_err(Failure::Setup)
}

/// What the control thread and one capture worker share.
#[derive(Debug, Default)]
struct WorkerSignals {
    /// Set when the worker's idle live link is due a wall-clock tick.
    tick_due: AtomicBool,
    /// Set when the worker is to send its reports so far (SIGUSR1).
    report_due: AtomicBool,
    /// Packet time of the worker's latest packet.
    last_packet_ns: AtomicU64,
}

/// What every worker shares: the end of the run and the packet budget.
struct Shared {
    /// Set by the signal handlers, the `--duration` deadline, the last packet
    /// of `--count`, or a failing worker: every loop ends.
    stop: Arc<AtomicBool>,
    /// Ends each worker's loop.
    breakers: Vec<Breaker>,
    /// `--count`: the budget and the packets claimed so far, by all workers.
    limit: Option<(u64, AtomicU64)>,
    /// How many times the reports were asked for during the run (SIGUSR1).
    report_round: AtomicU64,
}

/// One worker's reports and counters so far, sent when asked during the run.
struct Progress {
    worker: usize,
    /// The request ([`Shared::report_round`]) this answers.
    round: u64,
    reports: Vec<(String, serde_json::Value)>,
    packets: u64,
    received: u64,
    dropped: u64,
}

/// Prints the plugins' reports and tcpdump's exit lines on standard error,
/// in one write.
fn print_reports(
    reports: &[(String, serde_json::Value)],
    packets: u64,
    received: u64,
    dropped: u64,
) {
    let mut text = String::new();
    for (name, report) in reports {
        // JSON escapes C0 controls in strings; DEL and C1 too, for the terminal.
        text.push_str(&format!(
            "{}: {}\n",
            plugin_api::escape(name),
            plugin_api::json_for_terminal(&report.to_string())
        ));
    }
    text.push_str(&exit_lines(packets, received, dropped));
    eprint!("{text}");
}

/// Prints the reports asked for during the run as the workers send them:
/// once every worker answered a request, their reports merged as at the end.
/// Returns when every worker has ended.
fn print_progress(progress: &Receiver<Progress>, workers: usize, spec: &ChainSpec) {
    let mut round = 0;
    let mut answers: Vec<Option<Progress>> = (0..workers).map(|_| None).collect();
    for answer in progress {
        if answer.round < round || answer.worker >= workers {
            continue; // an older request, already printed or overtaken
        }
        if answer.round > round {
            round = answer.round;
            answers.iter_mut().for_each(|a| *a = None);
        }
        let worker = answer.worker;
        answers[worker] = Some(answer);
        if answers.iter().all(Option::is_some) {
            let done: Vec<Progress> = answers.iter_mut().filter_map(Option::take).collect();
            let sum = |f: fn(&Progress) -> u64| done.iter().map(f).sum::<u64>();
            let (packets, received, dropped) =
                (sum(|p| p.packets), sum(|p| p.received), sum(|p| p.dropped));
            let merged = spec.merge_reports(done.into_iter().map(|p| p.reports).collect());
            print_reports(&merged, packets, received, dropped);
            round += 1; // this request is answered
        }
    }
}

impl Shared {
    /// Ends every worker's loop for good.
    fn end_all(&self) {
        self.stop.store(true, Ordering::Release);
        for breaker in &self.breakers {
            breaker.end();
        }
    }
}

/// The thread beside the capture workers: turns ending signals and the
/// `--duration` deadline into the end of every loop, SIGUSR1 into a request
/// for every worker's reports so far, and asks each worker for wall-clock
/// ticks when its share of a live link is idle.
struct Control {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Control {
    /// Starts the thread.
    fn start(
        shared: &Arc<Shared>,
        signals: Vec<Arc<WorkerSignals>>,
        report: Arc<AtomicBool>,
        live: bool,
        duration: Option<Duration>,
    ) -> Result<Control, Failure> {
        let done = Arc::new(AtomicBool::new(false));
        let deadline = duration.map(|d| Instant::now() + d);
        let (shared, d) = (Arc::clone(shared), Arc::clone(&done));
        let thread = std::thread::Builder::new()
            .name("netraf-control".into())
            .spawn(move || {
                let mut last_tick_ns = vec![wall_ns(); signals.len()];
                let mut ended = false;
                while !d.load(Ordering::Acquire) {
                    // `finish` unparks the thread, so that the end waits for no sleep.
                    std::thread::park_timeout(Duration::from_millis(20));
                    if deadline.is_some_and(|at| Instant::now() >= at) {
                        shared.stop.store(true, Ordering::Release);
                    }
                    if shared.stop.load(Ordering::Acquire) {
                        if !ended {
                            shared.end_all();
                            ended = true;
                        }
                        continue;
                    }
                    if report.swap(false, Ordering::AcqRel) {
                        // Each worker answers between two packets (or in
                        // its idle wait) with its reports so far.
                        shared.report_round.fetch_add(1, Ordering::AcqRel);
                        for (signal, breaker) in signals.iter().zip(&shared.breakers) {
                            signal.report_due.store(true, Ordering::Release);
                            breaker.end();
                        }
                    }
                    if !live {
                        continue;
                    }
                    let now = wall_ns();
                    for ((signal, breaker), last_tick) in
                        signals.iter().zip(&shared.breakers).zip(&mut last_tick_ns)
                    {
                        let last = signal
                            .last_packet_ns
                            .load(Ordering::Relaxed)
                            .max(*last_tick);
                        if now.saturating_sub(last) >= TICK_NS {
                            *last_tick = now;
                            signal.tick_due.store(true, Ordering::Release);
                            breaker.end();
                        }
                    }
                }
            })
            .map_err(|e| Failure::Setup(format!("cannot start the control thread: {e}")))?;
        Ok(Control {
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

/// One capture worker: its session, its own instance of every plugin, and
/// what it counted.
struct Worker {
    session: Session,
    chain: Chain,
    signals: Arc<WorkerSignals>,
    packets: u64,
    bytes: u64,
    failure: Option<String>,
}

impl Worker {
    /// Runs the capture loop until the end of the run (or of the file);
    /// sends its reports so far to `progress` when asked.
    fn run(&mut self, shared: &Shared, source: &str, index: usize, progress: &Sender<Progress>) {
        let Worker {
            session,
            chain,
            signals,
            packets,
            bytes,
            failure,
        } = self;
        loop {
            let mut handler = |header: &PacketHeader<'_>, data: &[u8]| {
                let last = match &shared.limit {
                    None => false,
                    Some((limit, claimed)) => {
                        let n = claimed.fetch_add(1, Ordering::Relaxed);
                        if n >= *limit {
                            // Another worker took the last one: this packet is not ours.
                            return Verdict::Stop;
                        }
                        n + 1 == *limit
                    }
                };
                *packets += 1;
                *bytes += u64::from(header.caplen);
                signals
                    .last_packet_ns
                    .store(header.ts_ns, Ordering::Relaxed);
                chain.on_packet(header, data);
                // A plugin's Verdict::End ends the run like the last packet of `--count`.
                if last || chain.ended().is_some() {
                    Verdict::Stop
                } else {
                    Verdict::Continue
                }
            };
            match session.run(&mut handler) {
                Ok(LoopEnd::Eof) => break,
                Ok(LoopEnd::Stopped) => {
                    // The `--count` budget is spent, or a plugin ended the
                    // run: every worker ends.
                    shared.end_all();
                    break;
                }
                Ok(LoopEnd::Ended) => {
                    if shared.stop.load(Ordering::Acquire) {
                        break;
                    }
                    if signals.tick_due.swap(false, Ordering::AcqRel) {
                        chain.advance(wall_ns());
                    }
                    if signals.report_due.swap(false, Ordering::AcqRel) {
                        let stats = session.stats().unwrap_or_else(|e| {
                            log::warn!("cannot read the kernel's packet statistics: {e}");
                            mycap_core::Stats::default()
                        });
                        // The main thread prints it; gone only at the end of the run.
                        let _ = progress.send(Progress {
                            worker: index,
                            round: shared.report_round.load(Ordering::Acquire),
                            reports: chain.reports(),
                            packets: *packets,
                            received: stats.received.max(*packets),
                            dropped: stats.dropped,
                        });
                    }
                }
                Err(e) => {
                    *failure = Some(format!("capture from {source} failed: {e}"));
                    shared.end_all();
                    break;
                }
            }
        }
    }
}

/// The chains of workers 1 and up (worker 0's is `first`).
fn worker_chains(spec: &ChainSpec, first: Chain, workers: usize) -> Result<Vec<Chain>, Failure> {
    let mut chains = vec![first];
    for worker in 1..workers {
        match spec.instantiate_worker(worker) {
            Ok(chain) => chains.push(chain),
            Err(errors) => {
                for e in &errors {
                    log::error!("worker {worker}: {e}");
                }
                chains.iter_mut().for_each(Chain::shutdown);
                return Err(Failure::Setup(format!(
                    "{} plugin(s) refused their config for worker {worker} (see above)",
                    errors.len()
                )));
            }
        }
    }
    Ok(chains)
}

fn capture(cli: &Cli, config: &Config, spec: &ChainSpec, mut chain: Chain) -> Result<(), Failure> {
    let source = config.capture.source.to_string();
    let live = matches!(config.capture.source, Source::Interface(_));
    let mut workers = config.capture.workers;
    if !live && workers > 1 {
        log::warn!(
            "{source} is a capture file, read in order by one worker: workers = {workers} \
             applies to live capture only"
        );
        workers = 1;
    }
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
    let mut chains = worker_chains(spec, chain, workers)?;
    // Before opening: a signal while the capture starts still ends it cleanly.
    let requests = match install_signal_handlers() {
        Ok(requests) => requests,
        Err(e) => {
            chains.iter_mut().for_each(Chain::shutdown);
            return Err(e);
        }
    };
    let (sessions, group) = match open_sessions(&config.capture, workers) {
        Ok(opened) => opened,
        Err(e) => {
            chains.iter_mut().for_each(Chain::shutdown);
            return Err(Failure::Run(format!("cannot capture from {source}: {e}")));
        }
    };
    let shared = Arc::new(Shared {
        stop: Arc::clone(&requests.end),
        breakers: sessions.iter().map(Session::breaker).collect(),
        limit: cli.count.map(|n| (n, AtomicU64::new(0))),
        report_round: AtomicU64::new(0),
    });
    let mut workers: Vec<Worker> = sessions
        .into_iter()
        .zip(chains)
        .map(|(session, chain)| Worker {
            session,
            chain,
            signals: Arc::default(),
            packets: 0,
            bytes: 0,
            failure: None,
        })
        .collect();
    let signals = workers.iter().map(|w| Arc::clone(&w.signals)).collect();
    let report = Arc::clone(&requests.report);
    let mut control = match Control::start(&shared, signals, report, live, duration) {
        Ok(control) => control,
        Err(e) => {
            workers.iter_mut().for_each(|w| w.chain.shutdown());
            return Err(e);
        }
    };
    match group {
        Some(group) => log::info!(
            "capturing from {source} with {} plugin(s) in {} workers (fanout {}, group {group})",
            workers[0].chain.len(),
            workers.len(),
            config.capture.fanout.name()
        ),
        None => log::info!(
            "capturing from {source} with {} plugin(s)",
            workers[0].chain.len()
        ),
    }

    let started = Instant::now();
    let mut failure = None;
    if cli.count != Some(0) {
        let count = workers.len();
        std::thread::scope(|scope| {
            let (sender, progress) = mpsc::channel();
            for (i, worker) in workers.iter_mut().enumerate() {
                let (shared, source, sender) = (&shared, source.as_str(), sender.clone());
                let spawned = std::thread::Builder::new()
                    .name(format!("netraf-worker-{i}"))
                    .spawn_scoped(scope, move || worker.run(shared, source, i, &sender));
                if let Err(e) = spawned {
                    failure.get_or_insert(format!("cannot start capture worker {i}: {e}"));
                    shared.end_all();
                }
            }
            drop(sender);
            print_progress(&progress, count, spec);
        });
    }
    control.finish();
    let seconds = started.elapsed().as_secs_f64();

    let (mut packets, mut bytes, mut received, mut dropped) = (0u64, 0u64, 0u64, 0u64);
    let mut per_worker = Vec::with_capacity(workers.len());
    let mut failed: Vec<String> = Vec::new();
    for mut w in workers {
        let stats = w.session.stats().unwrap_or_else(|e| {
            log::warn!("cannot read the kernel's packet statistics: {e}");
            mycap_core::Stats::default()
        });
        if let Err(e) = w.session.close() {
            log::warn!("closing the capture on {source}: {e}");
        }
        packets += w.packets;
        bytes += w.bytes;
        received += stats.received.max(w.packets);
        dropped += stats.dropped;
        if let Some(f) = w.failure.take() {
            failure.get_or_insert(f);
        }
        // Shut down first (flush, close), then report the final state.
        w.chain.shutdown();
        per_worker.push(w.chain.reports());
        for (name, _) in w.chain.failures() {
            if !failed.iter().any(|f| f == name) {
                failed.push(name.to_string());
            }
        }
    }
    log::debug!(
        "{} packets ({bytes} bytes) in {seconds:.3} s: {:.0} packets/s, {:.1} MB/s",
        packets,
        packets as f64 / seconds.max(1e-9),
        bytes as f64 / 1e6 / seconds.max(1e-9)
    );
    let reports = spec.merge_reports(per_worker);
    print_reports(&reports, packets, received, dropped);
    let report = Report {
        capture: CaptureReport {
            source,
            packets,
            bytes,
            dropped,
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
    if let Some(f) = failure {
        return Err(Failure::Run(f));
    }
    if !failed.is_empty() {
        return Err(Failure::Run(format!(
            "plugin(s) disabled after an error: {} (see above)",
            failed.join(", ")
        )));
    }
    Ok(())
}
