//! The control thread beside the capture workers: ending signals and the `--duration` deadline end every loop, SIGUSR1 asks for the reports, SIGHUP reloads the config, and an idle live link gets wall-clock ticks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use plugin_api::wall_ns;

use crate::chain::TICK_NS;
use crate::config::{Capture, Config};
use crate::failure::Failure;
use crate::metrics::LiveCounters;
use crate::reload::{self, Generations, Handoff};
use crate::report::print_generation;
use crate::status::StatusLine;
use crate::workers::{Retired, Shared, WorkerSignals};

/// What the control thread needs to reload the config.
pub(crate) struct Reloads {
    /// Set by SIGHUP.
    pub(crate) request: Arc<AtomicBool>,
    /// Reads the config as at the start (the command line's overrides applied).
    pub(crate) load: Box<dyn Fn() -> Result<Config, String> + Send>,
    /// The running `[capture]` section, which a reload may not change.
    pub(crate) running: Capture,
    /// Every generation of the chains.
    pub(crate) generations: Generations,
    /// The chains the workers are done with.
    pub(crate) retired: Receiver<Retired>,
    /// Where a reload's chains publish their counters, and reloads are counted.
    pub(crate) counters: Arc<LiveCounters>,
}

impl Reloads {
    /// Takes back the chains the workers are done with, ending (and
    /// printing) every generation that is over; `printed` counts the
    /// generations printed so far.
    fn take_back(&mut self, printed: &mut usize, switch: &mut Option<(u64, Instant)>) {
        while let Ok((number, worker, chain)) = self.retired.try_recv() {
            if !self.generations.retire(number, worker, chain) {
                continue;
            }
            if let Some((newest, started)) = switch.take_if(|s| s.0 == number + 1) {
                log::info!(
                    "reload: every worker runs generation {newest}, {:.1} ms after the reload began",
                    started.elapsed().as_secs_f64() * 1e3
                );
            }
            for ended in self.generations.ended_since(*printed) {
                print_generation(ended);
            }
            *printed = self.generations.ended_since(0).len();
        }
    }

    /// Reads the config again and hands each worker its chain, or logs why
    /// not (the running chain goes on).
    fn reload(
        &mut self,
        signals: &[Arc<WorkerSignals>],
        shared: &Shared,
    ) -> Option<(u64, Instant)> {
        let started = Instant::now();
        match reload::prepare(&*self.load, &self.running, signals.len()) {
            Err(problems) => {
                for problem in &problems {
                    log::error!("reload: {problem}");
                }
                log::warn!(
                    "reload refused ({} problem(s) above): the running chain goes on unchanged",
                    problems.len()
                );
                self.counters.count_reload(false);
                None
            }
            Ok(mut prepared) => {
                self.counters.count_reload(true);
                for (worker, chain) in prepared.chains.iter_mut().enumerate() {
                    chain.publish(&self.counters, worker);
                }
                let number = self
                    .generations
                    .begin(prepared.config.file.clone(), prepared.spec.clone());
                reload::log_prepared(&prepared, number, started);
                let spec = Arc::new(prepared.spec);
                for ((signal, breaker), chain) in
                    signals.iter().zip(&shared.breakers).zip(prepared.chains)
                {
                    *signal.handoff.lock().unwrap_or_else(|e| e.into_inner()) = Some(Handoff {
                        generation: number,
                        chain,
                        spec: Arc::clone(&spec),
                    });
                    signal.switch_due.store(true, Ordering::Release);
                    breaker.end();
                }
                Some((number, started))
            }
        }
    }
}

/// What the control thread keeps up to date for those watching the run.
pub(crate) struct Watch {
    /// Ask the workers of a live capture for the kernel's counts about once
    /// a second (the metrics endpoint or the status line reads them).
    pub(crate) kernel_stats: bool,
    /// The status line on the terminal, redrawn about once a second.
    pub(crate) status: Option<StatusLine>,
}

/// How often the control thread looks at the signal flags and the workers.
const CONTROL_PERIOD: Duration = Duration::from_millis(100);

/// How often the workers of a live capture are asked to publish the
/// kernel's counts, when something reads them (the metrics endpoint).
const STATS_PERIOD: Duration = Duration::from_secs(1);

/// The thread beside the capture workers: turns ending signals and the
/// `--duration` deadline into the end of every loop, SIGUSR1 into a request
/// for every worker's reports so far, and asks each worker for wall-clock
/// ticks when its share of a live link is idle.
pub(crate) struct Control {
    pub(crate) done: Arc<AtomicBool>,
    /// Gives back the generations when it ends.
    pub(crate) thread: Option<JoinHandle<(Generations, usize)>>,
}

impl Control {
    /// Starts the thread.
    pub(crate) fn start(
        shared: &Arc<Shared>,
        signals: Vec<Arc<WorkerSignals>>,
        report: Arc<AtomicBool>,
        live: bool,
        duration: Option<Duration>,
        mut reloads: Reloads,
        mut watch: Watch,
    ) -> Result<Control, Failure> {
        let done = Arc::new(AtomicBool::new(false));
        let deadline = duration.map(|d| Instant::now() + d);
        let (shared, d) = (Arc::clone(shared), Arc::clone(&done));
        let thread = std::thread::Builder::new()
            .name("netraf-control".into())
            .spawn(move || {
                let mut last_tick_ns = vec![wall_ns(); signals.len()];
                let mut ended = false;
                let mut printed = 0;
                let mut switch = None;
                let mut stats_read = Instant::now();
                while !d.load(Ordering::Acquire) {
                    // `finish` unparks the thread, so that the end waits for
                    // no sleep; otherwise it looks at the flags ten times a
                    // second (a signal is handled within 100 ms), sooner
                    // when the deadline is nearer. Each wake-up costs the
                    // capture CPU on a quiet link.
                    let nap = deadline.map_or(CONTROL_PERIOD, |at| {
                        at.saturating_duration_since(Instant::now())
                            .min(CONTROL_PERIOD)
                    });
                    std::thread::park_timeout(nap);
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
                    reloads.take_back(&mut printed, &mut switch);
                    // One reload at a time: a SIGHUP during a switch waits for it.
                    if !reloads.generations.switching()
                        && reloads.request.swap(false, Ordering::AcqRel)
                    {
                        switch = reloads.reload(&signals, &shared);
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
                    if let Some(status) = &mut watch.status {
                        status.tick();
                    }
                    if !live {
                        continue;
                    }
                    if watch.kernel_stats && stats_read.elapsed() >= STATS_PERIOD {
                        stats_read = Instant::now();
                        for (signal, breaker) in signals.iter().zip(&shared.breakers) {
                            signal.stats_due.store(true, Ordering::Release);
                            breaker.end();
                        }
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
                // The workers have ended: the final counts, then the line
                // goes before anything else is printed.
                if let Some(status) = &mut watch.status {
                    status.finish();
                }
                // What the workers sent back last.
                reloads.take_back(&mut printed, &mut switch);
                (reloads.generations, printed)
            })
            .map_err(|e| Failure::Setup(format!("cannot start the control thread: {e}")))?;
        Ok(Control {
            done,
            thread: Some(thread),
        })
    }

    /// Ends the thread (once the workers have ended); the generations, and
    /// how many of them were printed during the run.
    pub(crate) fn finish(&mut self) -> Option<(Generations, usize)> {
        self.done.store(true, Ordering::Release);
        let thread = self.thread.take()?;
        thread.thread().unpark();
        thread.join().ok()
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        // The generations' chains are shut down as they drop.
        drop(self.finish());
    }
}
