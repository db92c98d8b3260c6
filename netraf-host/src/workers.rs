//! The capture workers: each runs its session's loop into its own chain; what they share with one another and with the control thread; the reports asked for during the run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use mycap_core::{Breaker, LoopEnd, PacketHeader, Session, Verdict};
use plugin_api::wall_ns;

use crate::chain::{Chain, ChainSpec};
use crate::failure::Failure;
use crate::metrics::WorkerCounters;
use crate::packet_filter::PacketFilter;
use crate::reload::Handoff;
use crate::report::print_reports;

/// What the control thread and one capture worker share.
#[derive(Debug, Default)]
pub(crate) struct WorkerSignals {
    /// Set when the worker's idle live link is due a wall-clock tick.
    pub(crate) tick_due: AtomicBool,
    /// Set when the worker is to send its reports so far (SIGUSR1).
    pub(crate) report_due: AtomicBool,
    /// Packet time of the worker's latest packet.
    pub(crate) last_packet_ns: AtomicU64,
    /// The chain of a reload, for the worker to switch to between two
    /// packets (see [`crate::reload`]).
    pub(crate) handoff: Mutex<Option<Handoff>>,
    /// Set when `handoff` holds a chain.
    pub(crate) switch_due: AtomicBool,
    /// Set when the worker is to publish the kernel's counts of its socket.
    pub(crate) stats_due: AtomicBool,
}

/// A worker's chain it is done with, after a reload: its generation, the
/// worker, the chain.
pub(crate) type Retired = (u64, usize, Chain);

/// What every worker shares: the end of the run and the packet budget.
pub(crate) struct Shared {
    /// Set by the signal handlers, the `--duration` deadline, the last packet
    /// of `--count`, or a failing worker: every loop ends.
    pub(crate) stop: Arc<AtomicBool>,
    /// Ends each worker's loop.
    pub(crate) breakers: Vec<Breaker>,
    /// `--count`: the budget and the packets claimed so far, by all workers.
    pub(crate) limit: Option<(u64, AtomicU64)>,
    /// How many times the reports were asked for during the run (SIGUSR1).
    pub(crate) report_round: AtomicU64,
}

/// One worker's reports and counters so far, sent when asked during the run.
pub(crate) struct Progress {
    pub(crate) worker: usize,
    /// The worker's chain's generation, and its spec, which merges its reports.
    pub(crate) generation: u64,
    pub(crate) spec: Arc<ChainSpec>,
    /// The request ([`Shared::report_round`]) this answers.
    pub(crate) round: u64,
    pub(crate) reports: Vec<(String, serde_json::Value)>,
    pub(crate) packets: u64,
    pub(crate) received: u64,
    pub(crate) dropped: u64,
}

/// Prints the reports asked for during the run as the workers send them:
/// once every worker answered a request, their reports merged as at the end.
/// Returns when every worker has ended.
pub(crate) fn print_progress(progress: &Receiver<Progress>, workers: usize) {
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
            let same = done.iter().all(|p| p.generation == done[0].generation);
            let spec = Arc::clone(&done[0].spec);
            let merged: Vec<(String, serde_json::Value)> = if same {
                spec.merge_reports(done.into_iter().map(|p| p.reports).collect())
            } else {
                // Asked in the middle of a reload: each worker's own, by worker.
                done.into_iter()
                    .flat_map(|p| {
                        let worker = p.worker;
                        p.reports
                            .into_iter()
                            .map(move |(name, r)| (format!("{name} (worker {worker})"), r))
                    })
                    .collect()
            };
            print_reports(&merged, packets, received, dropped);
            round += 1; // this request is answered
        }
    }
}

impl Shared {
    /// Ends every worker's loop for good.
    pub(crate) fn end_all(&self) {
        self.stop.store(true, Ordering::Release);
        for breaker in &self.breakers {
            breaker.end();
        }
    }
}

/// One capture worker: its session, its own instance of every plugin, and
/// what it counted.
pub(crate) struct Worker {
    pub(crate) session: Session,
    pub(crate) chain: Chain,
    /// The generation `chain` belongs to (0 until a reload).
    pub(crate) generation: u64,
    /// What `chain` was made from.
    pub(crate) spec: Arc<ChainSpec>,
    pub(crate) signals: Arc<WorkerSignals>,
    /// The capture filter, run here for a capture file (a live socket's
    /// runs in the kernel).
    pub(crate) filter: Option<PacketFilter>,
    /// The packets and bytes the worker took, counted where the metrics read them.
    pub(crate) counters: Arc<WorkerCounters>,
    pub(crate) failure: Option<String>,
}

impl Worker {
    /// Runs the capture loop until the end of the run (or of the file);
    /// sends its reports so far to `progress` when asked, and its old
    /// chain to `retired` when it switches to a reload's.
    pub(crate) fn run(
        &mut self,
        shared: &Shared,
        source: &str,
        index: usize,
        progress: &Sender<Progress>,
        retired: &Sender<Retired>,
    ) {
        let Worker {
            session,
            chain,
            generation,
            spec,
            signals,
            filter,
            counters,
            failure,
        } = self;
        loop {
            let mut handler = |header: &PacketHeader<'_>, data: &[u8]| {
                if filter.is_some() && !file_filter_keeps(filter, header, data) {
                    return Verdict::Continue;
                }
                let last = match &shared.limit {
                    None => false,
                    Some((limit, claimed)) => {
                        let n = claimed.fetch_add(1, Ordering::Relaxed);
                        if n >= *limit {
                            // Another worker took the last one: this packet is not ours.
                            return Verdict::End;
                        }
                        n + 1 == *limit
                    }
                };
                // Counted where the metrics read them: no store more than a
                // plain count's.
                counters.count(header.caplen);
                signals
                    .last_packet_ns
                    .store(header.ts_ns, Ordering::Relaxed);
                chain.on_packet(header, data);
                // A plugin's Verdict::End ends the run like the last packet of `--count`.
                if last || chain.ended().is_some() {
                    Verdict::End
                } else {
                    Verdict::Continue
                }
            };
            match session.run(&mut handler) {
                Ok(LoopEnd::Eof) => break,
                Ok(LoopEnd::ByHandler) => {
                    // The `--count` budget is spent, or a plugin ended the
                    // run: every worker ends.
                    shared.end_all();
                    break;
                }
                Ok(LoopEnd::ByBreaker) => {
                    if shared.stop.load(Ordering::Acquire) {
                        break;
                    }
                    if signals.switch_due.swap(false, Ordering::AcqRel) {
                        let handoff = signals
                            .handoff
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .take();
                        if let Some(next) = handoff {
                            // Between two packets: the next one goes to the new chain.
                            let old = std::mem::replace(chain, next.chain);
                            let old_generation = std::mem::replace(generation, next.generation);
                            *spec = next.spec;
                            // The control thread shuts it down; gone only at the end.
                            if let Err(back) = retired.send((old_generation, index, old)) {
                                drop(back);
                            }
                        }
                    }
                    if signals.tick_due.swap(false, Ordering::AcqRel) {
                        chain.advance(wall_ns());
                    }
                    if signals.stats_due.swap(false, Ordering::AcqRel) {
                        publish_kernel_stats(session, counters);
                    }
                    if signals.report_due.swap(false, Ordering::AcqRel) {
                        let stats = session.stats().unwrap_or_else(|e| {
                            log::warn!("cannot read the kernel's packet statistics: {e}");
                            mycap_core::Stats::default()
                        });
                        // The main thread prints it; gone only at the end of the run.
                        let _ = progress.send(Progress {
                            worker: index,
                            generation: *generation,
                            spec: Arc::clone(spec),
                            round: shared.report_round.load(Ordering::Acquire),
                            reports: chain.reports(),
                            packets: counters.packets(),
                            received: stats.received.max(counters.packets()),
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

/// Reads the kernel's counts of `session`'s socket into `counters` (a
/// failure is logged at debug level: the next read may do).
pub(crate) fn publish_kernel_stats(session: &mut Session, counters: &WorkerCounters) {
    match session.stats() {
        Ok(stats) => counters
            .kernel_dropped
            .store(stats.dropped, Ordering::Relaxed),
        Err(e) => log::debug!("cannot read the kernel's packet statistics: {e}"),
    }
}

/// Whether the capture file's filter keeps the packet: out of line, so that
/// the loop without a filter stays as small as it was.
#[inline(never)]
fn file_filter_keeps(
    filter: &mut Option<PacketFilter>,
    header: &PacketHeader<'_>,
    data: &[u8],
) -> bool {
    filter.as_mut().map_or(true, |f| f.keeps(header, data))
}

/// The chains of workers 1 and up (worker 0's is `first`).
pub(crate) fn worker_chains(
    spec: &ChainSpec,
    first: Chain,
    workers: usize,
) -> Result<Vec<Chain>, Failure> {
    let mut chains = vec![first];
    for worker in 1..workers {
        match spec.instantiate_worker(worker) {
            Ok(chain) => chains.push(chain),
            Err(errors) => {
                for e in &errors {
                    log::error!("worker {worker}: {e}");
                }
                // Dropping the chains made so far shuts them down.
                return Err(Failure::Setup(format!(
                    "{} plugin(s) refused their config for worker {worker} (see above)",
                    errors.len()
                )));
            }
        }
    }
    Ok(chains)
}
