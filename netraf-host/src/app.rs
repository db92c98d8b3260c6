//! The program's flow: read the config, load the plugins, open the capture, drop privileges, start the plugins, capture until the end, shut them down and report.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mycap_core::Session;

use crate::capture_filter;
use crate::chain::{Chain, ChainSpec};
use crate::cli::Cli;
use crate::config::{parse_direction, Config, Source, TextOptions, WriteOptions};
use crate::control::{Control, Reloads, Watch};
pub use crate::failure::Failure;
use crate::metrics::{Exposition, LiveCounters, PluginMetrics};
use crate::plugin_list;
use crate::privileges;
use crate::reload::Generations;
use crate::report::{print_generation, print_reports, CaptureReport, Report};
use crate::sessions::{check_source, live_config, open_sessions};
use crate::signals::{self, Requests};
use crate::workers::{print_progress, publish_kernel_stats, worker_chains, Shared, Worker};

/// Runs the program for a parsed command line.
///
/// # Errors
/// A [`Failure`] with its one-line reason; details were logged before.
pub fn run(cli: &Cli) -> Result<(), Failure> {
    if cli.insecure_plugins {
        crate::plugin_trust::trust_every_plugin();
    }
    if cli.list_interfaces {
        let netns = match &cli.config {
            Some(_) => load_config(cli)?.capture.netns,
            None => None,
        };
        print!("{}", crate::interface_list::listing(netns.as_deref())?);
        return Ok(());
    }
    if cli.list_plugins {
        let config = match cli.config {
            Some(_) => Some(load_config(cli)?),
            None => None,
        };
        return plugin_list::list(cli, config.as_ref());
    }
    for (option, path) in [
        ("--report-json", &cli.report_json),
        ("--report-html", &cli.report_html),
    ] {
        if let Some(path) = path {
            plugin_api::output_file::refuse_link(path)
                .map_err(|e| Failure::Setup(format!("{option}: {e}")))?;
        }
    }
    let config = load_config(cli)?;
    if cli.dump_filter {
        let live = match &config.capture.source {
            Source::Interface(name) => Some(live_config(&config.capture, name, None)),
            Source::File(_) => None,
        };
        print!(
            "{}",
            capture_filter::listing(&config.capture, live.as_ref())?
        );
        return Ok(());
    }
    let spec = load_chain(&config)?;
    if cli.check_config {
        let chain = instantiate(&spec)?;
        if let Err(e) = check_source(&config.capture) {
            drop(chain);
            return Err(Failure::Setup(format!("{}: {e}", config.file.display())));
        }
        // The filter compiles for the source's link types (a file's are
        // known only packet by packet).
        if let Source::Interface(name) = &config.capture.source {
            let live = live_config(&config.capture, name, None);
            if let Err(e) = capture_filter::check_live(&config.capture, &live) {
                drop(chain);
                return Err(e);
            }
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
        drop(chain);
        return Ok(());
    }
    capture(cli, &config, &spec)
}

/// Reads the config (or takes the built-in chain) and applies the command
/// line's overrides.
fn load_config(cli: &Cli) -> Result<Config, Failure> {
    let mut config = match &cli.config {
        Some(file) => Config::load(file, cli.plugin_dir.as_deref())
            .map_err(|e| Failure::Setup(e.to_string()))?,
        None => {
            let text = TextOptions {
                link_header: cli.link_header,
                brief: cli.quiet,
            };
            Config::builtin(
                cli.plugin_dir.as_deref(),
                cli.write.is_none().then_some(text),
            )
        }
    };
    if cli.config.is_some() && (cli.quiet || cli.link_header) {
        log::warn!(
            "-q and -e shape the built-in chain's text log; with --config, set the log \
             plugin's `brief` and `link` keys"
        );
    }
    if let Some(read) = &cli.read {
        config.capture.source = Source::File(read.clone());
    }
    if let Some(interface) = &cli.interface {
        config.capture.source = Source::Interface(interface.clone());
    }
    if let Some(workers) = cli.workers {
        config.capture.workers = usize::from(workers);
    }
    if let Some(user) = &cli.user {
        config.capture.user = Some(user.clone());
    }
    if let Some(listen) = cli.metrics {
        config.metrics.listen = Some(listen);
    }
    if let Some(snaplen) = cli.snaplen {
        // As tcpdump: 0 is the default.
        let snaplen = if snaplen == 0 {
            mycap_core::CaptureConfig::DEFAULT_SNAPLEN
        } else {
            snaplen
        };
        mycap_core::CaptureConfig::check_snaplen(snaplen)
            .map_err(|e| Failure::Setup(format!("-s {snaplen}: {e}")))?;
        config.capture.snaplen = snaplen;
    }
    if let Some(kib) = cli.buffer_kib {
        let bytes = usize::try_from(kib.saturating_mul(1024)).unwrap_or(usize::MAX);
        if bytes < 65_536 {
            return Err(Failure::Setup(format!(
                "-B {kib}: the ring takes at least 64 KiB"
            )));
        }
        config.capture.ring_size = bytes;
    }
    if let Some(direction) = &cli.direction {
        config.capture.direction = parse_direction(direction)
            .ok_or_else(|| Failure::Setup(format!("-Q {direction}: give in, out or inout")))?;
    }
    if let Some(expression) =
        capture_filter::from_command_line(&cli.expression, cli.filter_file.as_deref())?
    {
        crate::packet_filter::check(&expression, false)
            .map_err(|e| Failure::Setup(format!("filter '{expression}': {e}")))?;
        config.capture.filter = Some(expression);
    }
    if let Some(file) = &cli.write {
        config.add_writer(&WriteOptions {
            file: file.clone(),
            pcapng: cli.pcapng,
            max_bytes: cli.file_size.map_or(0, |mb| mb.saturating_mul(1_000_000)),
            rotate_seconds: cli.rotate_seconds.unwrap_or(0),
            files: cli.file_count,
            cooked: config.capture.source == Source::Interface("any".into()),
        });
    }
    let file = &config.file;
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
    ChainSpec::load(&config.plugins, config.capture.source.is_live()).map_err(|errors| {
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

/// Installs the signal handlers (see [`signals`]): an ending signal sets the
/// `end` flag (the capture then ends cleanly), SIGUSR1 asks for the reports.
fn install_signal_handlers() -> Result<Requests, Failure> {
    signals::install(Arc::new(AtomicBool::new(false))).map_err(Failure::Setup)
}

fn capture(cli: &Cli, config: &Config, spec: &ChainSpec) -> Result<(), Failure> {
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
            return Err(Failure::Setup(format!(
                "--duration {secs}: give a positive number of seconds"
            )));
        }
        Some(secs) => Some(Duration::from_secs_f64(secs)),
        None => None,
    };
    let user = privileges::plan(config.capture.user.as_deref()).map_err(Failure::Setup)?;
    // Before opening: a signal while the capture starts still ends it cleanly.
    let requests = install_signal_handlers()?;
    let kernel_filter = match &config.capture.source {
        Source::Interface(name) => capture_filter::live_program(
            &config.capture,
            &live_config(&config.capture, name, None),
        )?,
        Source::File(_) => None,
    };
    let file_filter = capture_filter::file_filter(&config.capture)?;
    // Bound before the capture opens and privileges are dropped: a port in
    // use ends the start, and a port below 1024 can be used.
    let listener = match config.metrics.listen {
        Some(address) => Some(crate::metrics::Listener::bind(address).map_err(Failure::Setup)?),
        None => None,
    };
    let (sessions, group) = open_sessions(&config.capture, workers, kernel_filter.as_deref())
        .map_err(|e| Failure::Run(format!("cannot capture from {source}: {e}")))?;
    if let Some(expression) = &config.capture.filter {
        log::debug!("filter '{expression}' on {source}");
    }
    // Open as root, go on as the user: the plugins start (and create their
    // files) after the switch. Every way out below drops the chains, which
    // shuts their plugins down.
    privileges::switch(user.as_ref()).map_err(Failure::Setup)?;
    let mut chains = worker_chains(spec, instantiate(spec)?, workers)?;
    let counters = Arc::new(LiveCounters::new(chains.len()));
    for (i, chain) in chains.iter_mut().enumerate() {
        chain.publish(&counters, i);
    }
    let endpoint = match listener {
        Some(listener) => Some(
            listener
                // What plugins registered, beside the host's own.
                .serve(Exposition::new(
                    Arc::clone(&counters),
                    PluginMetrics::global(),
                ))
                .map_err(Failure::Setup)?,
        ),
        None => None,
    };
    let shared = Arc::new(Shared {
        stop: Arc::clone(&requests.end),
        breakers: sessions.iter().map(Session::breaker).collect(),
        limit: cli.count.map(|n| (n, AtomicU64::new(0))),
        report_round: AtomicU64::new(0),
    });
    let shared_spec = Arc::new(spec.clone());
    let mut workers: Vec<Worker> = sessions
        .into_iter()
        .zip(chains)
        .enumerate()
        .map(|(i, (session, chain))| Worker {
            session,
            chain,
            generation: 0,
            spec: Arc::clone(&shared_spec),
            signals: Arc::default(),
            filter: file_filter.clone(),
            counters: counters.worker(i),
            failure: None,
        })
        .collect();
    let signals = workers.iter().map(|w| Arc::clone(&w.signals)).collect();
    let report = Arc::clone(&requests.report);
    let (retire, retired) = mpsc::channel();
    let reload_cli = cli.clone();
    let reloads = Reloads {
        request: Arc::clone(&requests.reload),
        load: Box::new(move || load_config(&reload_cli).map_err(|f| f.message().to_string())),
        running: config.capture.clone(),
        generations: Generations::new(config.file.clone(), spec.clone(), workers.len()),
        retired,
        counters: Arc::clone(&counters),
    };
    let status = crate::status::wanted(cli.quiet)
        .then(|| crate::status::StatusLine::new(Arc::clone(&counters)));
    let watch = Watch {
        kernel_stats: endpoint.is_some() || status.is_some(),
        status,
    };
    let mut control = Control::start(&shared, signals, report, live, duration, reloads, watch)?;
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
                let retire = retire.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("netraf-worker-{i}"))
                    .spawn_scoped(scope, move || {
                        worker.run(shared, source, i, &sender, &retire)
                    });
                if let Err(e) = spawned {
                    failure.get_or_insert(format!("cannot start capture worker {i}: {e}"));
                    shared.end_all();
                }
            }
            drop(sender);
            print_progress(&progress, count);
        });
    }
    drop(retire);
    let (mut generations, printed) = control.finish().unwrap_or_else(|| {
        log::error!("the control thread failed: the reports of earlier generations are lost");
        (
            Generations::new(config.file.clone(), spec.clone(), workers.len()),
            0,
        )
    });
    let seconds = started.elapsed().as_secs_f64();

    let (mut packets, mut bytes, mut received, mut dropped) = (0u64, 0u64, 0u64, 0u64);
    for (i, mut w) in workers.into_iter().enumerate() {
        // The final counts, for a scrape until the end.
        publish_kernel_stats(&mut w.session, &w.counters);
        let stats = w.session.stats().unwrap_or_else(|e| {
            log::warn!("cannot read the kernel's packet statistics: {e}");
            mycap_core::Stats::default()
        });
        if let Err(e) = w.session.close() {
            log::warn!("closing the capture on {source}: {e}");
        }
        let (w_packets, w_bytes) = (w.counters.packets(), w.counters.bytes());
        packets += w_packets;
        bytes += w_bytes;
        received += stats.received.max(w_packets);
        dropped += stats.dropped;
        if let Some(f) = w.failure.take() {
            failure.get_or_insert(f);
        }
        // A reload's chain the worker did not get to: it saw nothing.
        let untaken = w
            .signals
            .handoff
            .lock()
            .map(|mut h| h.take())
            .ok()
            .flatten();
        if let Some(handoff) = untaken {
            generations.retire(handoff.generation, i, handoff.chain);
        }
        // Shut down (flush, close), then the reports of the final state.
        generations.retire(w.generation, i, w.chain);
    }
    log::debug!(
        "{} packets ({bytes} bytes) in {seconds:.3} s: {:.0} packets/s, {:.1} MB/s",
        packets,
        packets as f64 / seconds.max(1e-9),
        bytes as f64 / 1e6 / seconds.max(1e-9)
    );
    let (mut all, failed) = generations.finish();
    let last = all.pop();
    for ended in all.get(printed..).unwrap_or_default() {
        print_generation(ended);
    }
    let reports: Vec<(String, serde_json::Value)> = last
        .as_ref()
        .map(|g| {
            g.plugins
                .iter()
                .map(|p| (p.name.clone(), p.report.clone()))
                .collect()
        })
        .unwrap_or_default();
    print_reports(&reports, packets, received, dropped);
    let reloaded = !all.is_empty();
    all.extend(last);
    let report = Report {
        capture: CaptureReport {
            source,
            packets,
            bytes,
            dropped,
            seconds,
        },
        plugins: all.last().map(|g| g.plugins.clone()).unwrap_or_default(),
        generations: reloaded.then_some(all),
    };
    // Each file written whatever became of the other; every failure logged,
    // the first one the run's.
    let mut written_failure = |what: &str, path: &std::path::Path, e: std::io::Error| {
        let message = format!(
            "cannot write the {what} to {}: {e} (check the folder exists and is writable)",
            path.display()
        );
        if failure.is_some() {
            log::error!("{message}");
        }
        failure.get_or_insert(message);
    };
    if let Some(path) = &cli.report_json {
        if let Err(e) = report.write_to(path) {
            written_failure("report", path, e);
        }
    }
    if let Some(path) = &cli.report_html {
        if let Err(e) = report.write_html(path) {
            written_failure("HTML report", path, e);
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
