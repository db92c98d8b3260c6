//! The flow plugin as netraf loads it: the flow table on a thread of its own beside the capture thread (`table_thread = true`, the default), or in the capture thread.
//!
//! With the table on its thread, the capture thread only counts each packet
//! and cuts what the table needs of it (key, lengths, flags, time: a
//! [`Held`]), and passes those [`BATCH`] at a time (ticks among them) to
//! the table's thread,
//! which takes them in the order they came. The table's work, a look-up
//! that misses the caches on a big table and every record, then runs beside
//! the capture instead of after it (BENCHMARKS.md, "The flow table on a
//! thread of its own").
//!
//! A tick goes in the batch after the packets before it, and the thread
//! runs it in turn: the capture thread does not wait for it. A tick passes
//! the batch being filled if the last was passed 50 ms ago or more, so that
//! on a quiet live link packets do not wait for a full batch. A report and the shutdown pass the batch, wait
//! until the thread has taken every packet and tick passed before, and then
//! run on the table as the capture thread would (under the table's lock,
//! which the thread holds only while it takes a batch or a tick). So the
//! records, their order and the report are those of the table in the
//! capture thread, and a packet reaches the table at most a tick and 50 ms
//! after it came.
//!
//! Batches are made at the start and come back to be filled again: no
//! allocation per packet. A failure of the table while taking packets (the
//! conn log cannot be written) is returned by the capture thread's next
//! call, as the table in the capture thread returns it; a panic on the
//! table's thread ends the table, and every later call says so, which the
//! host contains as a panic of the plugin.
//!
//! `table_thread = false` keeps the table in the capture thread: for a host
//! whose capture workers already use every core.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use plugin_api::{panic_message, Host, Packet, Plugin, Verdict};

use crate::held::Held;
use crate::report::Report;
use crate::{observe, Flow};

/// Packets passed to the table's thread at a time (about 100 KiB): each
/// pass may wake the table's thread, a futex call and an interrupt to the
/// other core, which a virtual machine's host takes. Batches of 256 cost
/// the capture thread of the 1 GiB replay about 80 ms more than these.
pub const BATCH: usize = 1024;

/// Batches in all: one being filled, the others queued or being taken. Up
/// to 31 wait in the queue (about 3 MiB, some 13 ms of the 1 GiB replay's
/// packets): the table's thread stops now and then for milliseconds (the
/// kernel zeroes the huge pages a growing table touches first, the index
/// doubles) and catches up afterwards, and the capture thread waits only
/// when every batch is queued. With 4 it waited 30–85 ms of that replay's
/// 0.8 s. A batch given back is filled again before another is made, so a
/// table that keeps up goes round a few of them (they stay in the caches).
pub const BATCHES: usize = 32;

/// A tick passes the batch being filled if the last was passed this long
/// ago (wall time).
const PASS_AFTER: Duration = Duration::from_millis(50);

/// The flow plugin: the table here or on its thread.
pub struct FlowPlugin {
    table: Where,
}

enum Where {
    /// `table_thread = false`.
    Here(Box<Flow>),
    Beside(Box<TableThread>),
}

impl Plugin for FlowPlugin {
    fn new(config: &str) -> Result<Self, String> {
        let flow = Flow::new(config)?;
        let table = if flow.table_thread {
            Where::Beside(Box::new(TableThread::start(flow)?))
        } else {
            Where::Here(Box::new(flow))
        };
        Ok(FlowPlugin { table })
    }

    fn attach(&mut self, host: &Host<'_>) -> Result<(), String> {
        match &mut self.table {
            Where::Here(flow) => flow.attach(host),
            Where::Beside(thread) => thread.table()?.attach(host),
        }
    }

    #[inline]
    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        match &mut self.table {
            Where::Here(flow) => flow.on_packet(packet),
            Where::Beside(thread) => thread.on_packet(packet),
        }
    }

    fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
        match &mut self.table {
            Where::Here(flow) => flow.on_tick(now_ns),
            Where::Beside(thread) => thread.tick(now_ns),
        }
    }

    fn report(&mut self) -> Result<String, String> {
        match &mut self.table {
            Where::Here(flow) => flow.report(),
            Where::Beside(thread) => thread.table()?.report(),
        }
    }

    fn shutdown(&mut self) -> Result<(), String> {
        match &mut self.table {
            Where::Here(flow) => flow.shutdown(),
            Where::Beside(thread) => thread.shutdown(),
        }
    }

    fn merge_reports(config: &str, reports: &[&str]) -> Option<Result<String, String>> {
        Flow::merge_reports(config, reports)
    }
}

#[cfg(test)]
impl FlowPlugin {
    /// Batches made so far (the one being filled too); 0 with the table
    /// in the capture thread.
    pub(crate) fn batches_made(&self) -> usize {
        match &self.table {
            Where::Here(_) => 0,
            Where::Beside(thread) => BATCHES - thread.unmade,
        }
    }

    /// Holds the table's lock on another thread, once the table's thread
    /// has taken every packet so far, until the returned sender is dropped:
    /// the table's thread then stops at its next batch, as in a long stall.
    pub(crate) fn stall_table(&mut self) -> Result<Sender<()>, String> {
        let Where::Beside(thread) = &mut self.table else {
            return Err("the table is in the capture thread".into());
        };
        thread.sync()?;
        let shared = Arc::clone(&thread.shared);
        let (release, released) = mpsc::channel::<()>();
        let (say_locked, locked) = mpsc::channel();
        std::thread::spawn(move || {
            let _table = lock(&shared.table);
            let _ = say_locked.send(());
            let _ = released.recv();
        });
        locked.recv().map_err(|e| e.to_string())?;
        Ok(release)
    }

    /// The table (after its thread has taken every packet so far).
    pub(crate) fn with_table<T>(&mut self, f: impl FnOnce(&mut Flow) -> T) -> Result<T, String> {
        match &mut self.table {
            Where::Here(flow) => Ok(f(flow)),
            Where::Beside(thread) => Ok(f(&mut *thread.table()?)),
        }
    }
}

/// A packet for the table, or a tick, in the order they came.
enum Item {
    Packet(Held),
    Tick(u64),
}

/// What goes to the table's thread.
enum Message {
    /// Packets and ticks to take, in order; the batch comes back empty.
    Batch(Vec<Item>),
    /// Say when every packet before is taken.
    Sync,
}

/// What both threads share.
struct Shared {
    table: Mutex<Flow>,
    /// Set when `trouble` has something for the capture thread.
    alert: AtomicBool,
    trouble: Mutex<Trouble>,
}

/// What went wrong on the table's thread.
#[derive(Default)]
struct Trouble {
    /// The first failure since the capture thread last asked.
    failure: Option<String>,
    /// Why the thread ended (it panicked).
    ended: Option<String>,
}

impl Shared {
    fn tell(&self, what: impl FnOnce(&mut Trouble)) {
        let mut trouble = lock(&self.trouble);
        what(&mut trouble);
        self.alert.store(true, Ordering::Release);
    }
}

/// The capture thread's side of a table on its own thread.
struct TableThread {
    shared: Arc<Shared>,
    /// The capture thread's packet counts since the table last took them.
    counts: Report,
    /// The batch being filled.
    batch: Vec<Item>,
    /// When the last batch was passed (wall time).
    passed_at: Instant,
    /// Batches not made yet (made only when none has come back).
    unmade: usize,
    /// `None` once the thread is told to end.
    to_table: Option<SyncSender<Message>>,
    /// Batches the thread has taken, back to be filled.
    taken: Receiver<Vec<Item>>,
    /// One message per [`Message::Sync`].
    synced: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl TableThread {
    fn start(flow: Flow) -> Result<TableThread, String> {
        let counts = Report::new(0, 0);
        let shared = Arc::new(Shared {
            table: Mutex::new(flow),
            alert: AtomicBool::new(false),
            trouble: Mutex::new(Trouble::default()),
        });
        let (to_table, messages) = mpsc::sync_channel(BATCHES);
        let (give_back, taken) = mpsc::channel();
        let (say_synced, synced) = mpsc::channel();
        let on_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("flow-table".into())
            .spawn(move || run(&on_thread, &messages, &give_back, &say_synced))
            .map_err(|e| {
                format!("cannot start the flow table's thread: {e} (`table_thread = false` keeps the table in the capture thread)")
            })?;
        Ok(TableThread {
            shared,
            counts,
            batch: Vec::with_capacity(BATCH),
            passed_at: Instant::now(),
            unmade: BATCHES - 1,
            to_table: Some(to_table),
            taken,
            synced,
            thread: Some(thread),
        })
    }

    #[inline]
    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        if let Some(held) = observe(&mut self.counts, packet) {
            self.batch.push(Item::Packet(held));
            if self.batch.len() == BATCH {
                self.pass()?;
            }
        }
        Ok(Verdict::Continue)
    }

    /// Puts a tick in the batch, after the packets before it: the table's
    /// thread runs it in turn, and the capture thread does not wait for it.
    /// The batch is passed when full, or when the last was passed
    /// [`PASS_AFTER`] ago (a live link with few packets: the table is at
    /// most that late). The failure the thread met since the last call, if
    /// any.
    fn tick(&mut self, now_ns: u64) -> Result<(), String> {
        self.batch.push(Item::Tick(now_ns));
        if self.batch.len() == BATCH || self.passed_at.elapsed() >= PASS_AFTER {
            self.pass()
        } else {
            self.failure()
        }
    }

    /// Passes the batch being filled to the table's thread; then the
    /// failure it met since the last call, if any.
    fn pass(&mut self) -> Result<(), String> {
        if !self.batch.is_empty() {
            let next = match self.taken.try_recv() {
                Ok(batch) => batch,
                Err(_) if self.unmade > 0 => {
                    self.unmade -= 1;
                    Vec::with_capacity(BATCH)
                }
                Err(_) => self.taken.recv().map_err(|_| self.gone())?,
            };
            let full = std::mem::replace(&mut self.batch, next);
            self.send(Message::Batch(full))?;
            self.passed_at = Instant::now();
        }
        self.failure()
    }

    fn send(&self, message: Message) -> Result<(), String> {
        match &self.to_table {
            Some(to_table) => to_table.send(message).map_err(|_| self.gone()),
            None => Err(self.gone()),
        }
    }

    /// The first failure of the table's thread since the last call; why it
    /// ended, if it did.
    fn failure(&self) -> Result<(), String> {
        if !self.shared.alert.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut trouble = lock(&self.shared.trouble);
        if let Some(ended) = &trouble.ended {
            return Err(ended.clone());
        }
        self.shared.alert.store(false, Ordering::Release);
        trouble.failure.take().map_or(Ok(()), Err)
    }

    /// Why the thread is gone.
    fn gone(&self) -> String {
        lock(&self.shared.trouble)
            .ended
            .clone()
            .unwrap_or_else(|| "the flow table's thread has ended".into())
    }

    /// The table, once its thread has taken every packet so far, with the
    /// capture thread's packet counts in its report. After the shutdown
    /// (the host asks for the final report then) the thread is gone and the
    /// table is at hand.
    fn table(&mut self) -> Result<MutexGuard<'_, Flow>, String> {
        if self.to_table.is_some() {
            self.sync()?;
        }
        let mut flow = self.shared.table.lock().map_err(|_| self.gone())?;
        flow.report.take_packet_counts(&mut self.counts);
        Ok(flow)
    }

    /// Waits until the thread has taken every packet so far.
    fn sync(&mut self) -> Result<(), String> {
        if let Err(e) = self.pass() {
            // A failure is said on the next call; an ended table now.
            if let Some(ended) = lock(&self.shared.trouble).ended.clone() {
                return Err(ended);
            }
            self.shared.tell(|trouble| {
                trouble.failure.get_or_insert(e);
            });
        }
        self.send(Message::Sync)?;
        self.synced.recv().map_err(|_| self.gone())
    }

    fn shutdown(&mut self) -> Result<(), String> {
        let done = self.table()?.shutdown();
        self.stop();
        done.and(self.failure())
    }

    /// Ends the thread (after the packets passed) and waits for it.
    fn stop(&mut self) {
        self.to_table = None;
        if let Some(thread) = self.thread.take() {
            // Its panics are caught inside: it ends by itself.
            let _ = thread.join();
        }
    }
}

impl Drop for TableThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The table's thread: takes batches until the capture thread's side is
/// dropped or a panic ends the table.
fn run(
    shared: &Shared,
    messages: &Receiver<Message>,
    give_back: &Sender<Vec<Item>>,
    say_synced: &Sender<()>,
) {
    while let Ok(message) = messages.recv() {
        match message {
            Message::Batch(mut batch) => {
                if !guarded(shared, || take_all(shared, &mut batch)) {
                    return;
                }
                batch.clear();
                if give_back.send(batch).is_err() {
                    return;
                }
            }
            Message::Sync => {
                if say_synced.send(()).is_err() {
                    return;
                }
            }
        }
    }
}

/// Runs `work` on the table's thread: its failure is told to the capture
/// thread; a panic ends the table (`false`: the thread ends).
fn guarded(shared: &Shared, work: impl FnOnce() -> Result<(), String>) -> bool {
    match panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            shared.tell(|trouble| {
                trouble.failure.get_or_insert(e);
            });
            true
        }
        Err(payload) => {
            let message = format!(
                "the flow table's thread panicked: {}",
                panic_message(&*payload)
            );
            shared.tell(|trouble| trouble.ended = Some(message));
            false
        }
    }
}

/// The table takes every packet and tick of `batch`, in order; the first
/// failure.
fn take_all(shared: &Shared, batch: &mut Vec<Item>) -> Result<(), String> {
    // Poisoned only by a panic, which ends this thread first.
    let mut flow = lock(&shared.table);
    let mut first = Ok(());
    for item in batch.drain(..) {
        let taken = match item {
            Item::Packet(held) => flow.hold(held),
            Item::Tick(now_ns) => flow.on_tick(now_ns),
        };
        if let Err(e) = taken {
            first = first.and(Err(e));
        }
    }
    first
}

/// Locks `mutex`, also after a panic while it was held (whoever panicked
/// has said so, or will, by other means).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
