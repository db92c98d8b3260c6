//! The control thread beside the capture workers: ending signals and the `--duration` deadline end every loop, SIGUSR1 asks for the reports, and an idle live link gets wall-clock ticks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use plugin_api::wall_ns;

use crate::chain::TICK_NS;
use crate::failure::Failure;
use crate::workers::{Shared, WorkerSignals};

/// The thread beside the capture workers: turns ending signals and the
/// `--duration` deadline into the end of every loop, SIGUSR1 into a request
/// for every worker's reports so far, and asks each worker for wall-clock
/// ticks when its share of a live link is idle.
pub(crate) struct Control {
    pub(crate) done: Arc<AtomicBool>,
    pub(crate) thread: Option<JoinHandle<()>>,
}

impl Control {
    /// Starts the thread.
    pub(crate) fn start(
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

    pub(crate) fn finish(&mut self) {
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
