//! Reloading the config while capturing (SIGHUP): the new chain is read, loaded and made for every worker before anything changes, each worker switches to it between two packets, and the old chain is shut down with its reports kept as a generation of the run.
//!
//! - **Prepared whole, or not at all**: the config is read with the same
//!   command-line overrides as at the start; a `[capture]` section that
//!   differs from the running one (source, snaplen, ring, workers, fanout,
//!   netns, user) is refused with a line saying a restart is needed; then
//!   every plugin library is loaded and one chain made per worker. Any
//!   failure is logged, one line per problem, and the running chain goes on
//!   untouched.
//! - **Switched between two packets**: each worker's loop is ended by its
//!   breaker (within the ring's block timeout on an idle link), and the
//!   worker takes its new chain before it runs the loop again: every packet
//!   is handed to exactly one chain.
//! - **Retired with its reports**: the old chains come back to the control
//!   thread, which shuts them down (files flushed and closed) and merges
//!   their reports as at the end of a run: a *generation* of the run, printed
//!   on standard error and kept for `--report-json`.
//!
//! A rebuilt plugin file at the same path brings its new code: the loader
//! loads a private copy of every file it has not loaded yet (a rebuilt file
//! is another file), and keeps the libraries it loaded mapped (abi_stable
//! never unloads them): the log says how many.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::chain::{Chain, ChainSpec};
use crate::config::{Capture, Config};
use crate::report::{GenerationReport, PluginReport};

/// A chain handed to a worker: the generation it belongs to.
pub(crate) struct Handoff {
    pub(crate) generation: u64,
    pub(crate) chain: Chain,
    /// What the chain was made from.
    pub(crate) spec: Arc<ChainSpec>,
}

impl std::fmt::Debug for Handoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// What a reload prepared: the config, its libraries, one chain per worker.
pub(crate) struct Prepared {
    pub(crate) config: Config,
    pub(crate) spec: ChainSpec,
    pub(crate) chains: Vec<Chain>,
}

/// Reads the config again (through `load`, which applies the command line's
/// overrides) and makes `workers` chains of it, changing nothing running.
///
/// # Errors
/// Every problem, one line each: the config's own error (file, line, key),
/// a `[capture]` section that changed, each library that failed to load,
/// each plugin that refused its config.
pub(crate) fn prepare(
    load: &dyn Fn() -> Result<Config, String>,
    running: &Capture,
    workers: usize,
) -> Result<Prepared, Vec<String>> {
    let config = load().map_err(|e| vec![e])?;
    let changed = changed_capture_keys(running, &config.capture);
    if !changed.is_empty() {
        return Err(vec![format!(
            "{}: [capture] {} changed: a running capture keeps its source, ring and workers; \
             restart netraf-host to apply it",
            config.file.display(),
            changed.join(", ")
        )]);
    }
    let spec =
        ChainSpec::load(&config.plugins, config.capture.source.is_live()).map_err(|errors| {
            errors
                .iter()
                .map(|e| format!("cannot load plugin: {e}"))
                .collect::<Vec<_>>()
        })?;
    let mut chains = Vec::with_capacity(workers);
    for worker in 0..workers {
        match spec.instantiate_worker(worker) {
            Ok(chain) => chains.push(chain),
            // The chains made so far are dropped, which shuts them down.
            Err(errors) => return Err(errors),
        }
    }
    Ok(Prepared {
        config,
        spec,
        chains,
    })
}

/// The keys of `[capture]` whose values differ.
pub(crate) fn changed_capture_keys(old: &Capture, new: &Capture) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut differs = |key: &'static str, a: String, b: String| {
        if a != b {
            keys.push(key);
        }
    };
    differs(
        "source",
        format!("{:?}", old.source),
        format!("{:?}", new.source),
    );
    differs("snaplen", old.snaplen.to_string(), new.snaplen.to_string());
    differs(
        "promiscuous",
        old.promiscuous.to_string(),
        new.promiscuous.to_string(),
    );
    differs(
        "ring_size",
        old.ring_size.to_string(),
        new.ring_size.to_string(),
    );
    differs(
        "netns",
        format!("{:?}", old.netns),
        format!("{:?}", new.netns),
    );
    differs("workers", old.workers.to_string(), new.workers.to_string());
    differs(
        "fanout",
        format!("{:?}", old.fanout),
        format!("{:?}", new.fanout),
    );
    differs(
        "filter",
        format!("{:?}", old.filter),
        format!("{:?}", new.filter),
    );
    differs(
        "direction",
        format!("{:?}", old.direction),
        format!("{:?}", new.direction),
    );
    if old != new && keys.is_empty() {
        keys.push("a setting");
    }
    keys
}

/// One generation of the run: the chains made from one reading of the config.
struct Generation {
    config: PathBuf,
    spec: ChainSpec,
    /// The workers' chains once they are done with them, by worker.
    retired: Vec<Option<Chain>>,
}

/// Every generation of the run's chains, and the reports of those that
/// ended. Generation 0 is the config read at the start.
pub(crate) struct Generations {
    workers: usize,
    live: BTreeMap<u64, Generation>,
    ended: Vec<GenerationReport>,
    /// The newest generation handed to the workers.
    newest: u64,
    /// The plugins disabled after an error, in any generation.
    failed: Vec<String>,
}

impl Generations {
    /// The run's first generation: `spec` from `config`, on `workers` workers.
    pub(crate) fn new(config: PathBuf, spec: ChainSpec, workers: usize) -> Generations {
        let mut live = BTreeMap::new();
        live.insert(
            0,
            Generation {
                config,
                spec,
                retired: (0..workers).map(|_| None).collect(),
            },
        );
        Generations {
            workers,
            live,
            ended: Vec::new(),
            newest: 0,
            failed: Vec::new(),
        }
    }

    /// The number the next generation gets, with its spec registered.
    pub(crate) fn begin(&mut self, config: PathBuf, spec: ChainSpec) -> u64 {
        self.newest += 1;
        self.live.insert(
            self.newest,
            Generation {
                config,
                spec,
                retired: (0..self.workers).map(|_| None).collect(),
            },
        );
        self.newest
    }

    /// Whether a reload is under way: some worker has not switched to the
    /// newest generation yet.
    pub(crate) fn switching(&self) -> bool {
        self.live
            .range(..self.newest)
            .any(|(_, g)| g.retired.iter().any(Option::is_none))
    }

    /// Takes back a worker's chain of generation `number`: once every
    /// worker's is back, the generation ends (see [`Generations::end`]);
    /// returns whether it did.
    pub(crate) fn retire(&mut self, number: u64, worker: usize, chain: Chain) -> bool {
        let Some(generation) = self.live.get_mut(&number) else {
            return false;
        };
        if let Some(slot) = generation.retired.get_mut(worker) {
            *slot = Some(chain);
        }
        if generation.retired.iter().all(Option::is_some) {
            self.end(number);
            return true;
        }
        false
    }

    /// Ends generation `number` with the chains it got back (a worker's
    /// missing chain saw nothing): shuts them down, merges their reports.
    fn end(&mut self, number: u64) {
        let Some(generation) = self.live.remove(&number) else {
            return;
        };
        let mut packets = 0;
        let mut per_worker = Vec::new();
        for mut chain in generation.retired.into_iter().flatten() {
            // Shut down first (flush, close), then report the final state.
            chain.shutdown();
            packets += chain.packets();
            per_worker.push(chain.reports());
            for (name, _) in chain.failures() {
                if !self.failed.iter().any(|f| f == name) {
                    self.failed.push(name.to_string());
                }
            }
        }
        let plugins = generation
            .spec
            .merge_reports(per_worker)
            .into_iter()
            .zip(generation.spec.entries())
            .map(|((name, report), (_, library))| PluginReport {
                name,
                plugin: Some(library.name().to_string()),
                version: Some(library.version().to_string()),
                report,
            })
            .collect();
        self.ended.push(GenerationReport {
            generation: number,
            config: generation.config.display().to_string(),
            packets,
            plugins,
        });
    }

    /// Ends every generation still running, the workers' last chains given
    /// back; the reports of all, oldest first, and the plugins disabled
    /// after an error in any of them.
    pub(crate) fn finish(mut self) -> (Vec<GenerationReport>, Vec<String>) {
        let numbers: Vec<u64> = self.live.keys().copied().collect();
        for number in numbers {
            self.end(number);
        }
        self.ended.sort_by_key(|g| g.generation);
        (self.ended, self.failed)
    }

    /// The reports of the generations that ended so far and were not yet
    /// printed.
    pub(crate) fn ended_since(&self, printed: usize) -> &[GenerationReport] {
        self.ended.get(printed..).unwrap_or_default()
    }
}

/// Logs how a reload went.
pub(crate) fn log_prepared(prepared: &Prepared, generation: u64, started: Instant) {
    let names: Vec<String> = prepared
        .spec
        .entries()
        .iter()
        .map(|(e, _)| plugin_api::escape(&e.name).to_string())
        .collect();
    log::info!(
        "reload: generation {generation} from {} ({} plugin(s): {}) prepared in {:.1} ms; \
         {} plugin librar(ies) mapped",
        plugin_api::escape(&prepared.config.file.display().to_string()),
        names.len(),
        names.join(" -> "),
        started.elapsed().as_secs_f64() * 1e3,
        crate::loader::mapped()
    );
}
