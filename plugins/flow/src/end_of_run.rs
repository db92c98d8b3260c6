//! The end of the run: the record of every flow still in the table, made on the calling thread and (for many flows) a helper thread beside it, emitted in the order of the flows' starts.
//!
//! A replay whose packet time is shorter than the timeouts ends every flow
//! here: on the 1 GiB benchmark file, 270,511 records, a third of the
//! plugin's time. Making a record (its fields and JSON line; the uid and
//! the Community ID's digest are made with the flow) needs
//! only the table, read by both threads; emitting it (the report, the conn
//! log, IPFIX) goes in order, batch after batch, under one lock. Each
//! thread takes the next batch, makes it, waits for its turn, emits it:
//! the log, the report and the export are what one thread would have made.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread;

use crate::record::EndReason;
use crate::report::Report;
use crate::sinks::{Batch, Lines, Sinks};
use crate::state::FlowState;
use crate::table::Table;
use crate::table_thread::lock;

/// Records made at a time (their lines are about 0.7 MB).
pub const BATCH: usize = 2048;

/// The flows still in the table, which both threads read.
pub struct Ending<'a> {
    /// The table.
    pub table: &'a Table<FlowState>,
    /// The slots, oldest start first (flows without packets get no record).
    pub order: &'a [(u64, u32)],
    /// Makes batch `n` panic, for the unit tests.
    #[cfg(test)]
    pub panic_in: Option<usize>,
}

/// Whose turn it is to emit, and what.
struct Turn<'a> {
    /// The batch to emit next.
    next: usize,
    /// A failed write or a panic: every thread stops at its next batch.
    stop: bool,
    failure: Option<String>,
    sinks: &'a mut Sinks,
    report: &'a mut Report,
}

impl Ending<'_> {
    fn batches(&self) -> usize {
        self.order.len().div_ceil(BATCH)
    }

    /// Makes the records of batch `n` into `batch` (emptied first).
    fn make(&self, n: usize, batch: &mut Batch) {
        #[cfg(test)]
        assert!(self.panic_in != Some(n), "told to panic");
        batch.clear();
        let start = n * BATCH;
        let end = (start + BATCH).min(self.order.len());
        for &(_, slot) in &self.order[start..end] {
            let state = self.table.state(slot);
            if state.has_packets() {
                batch.push(state.record(self.table.key(slot), EndReason::Shutdown));
            }
        }
    }

    /// Emits every record to `sinks` and `report`, with a helper thread
    /// when `helper` and there are two batches or more.
    ///
    /// # Errors
    /// The first failure to write the conn log. A panic while making or
    /// emitting goes on in the caller once both threads are done.
    pub fn emit(&self, sinks: &mut Sinks, report: &mut Report, helper: bool) -> Result<(), String> {
        let lines = sinks.lines();
        if !helper || self.batches() < 2 {
            let mut batch = Batch::new(lines, BATCH);
            for n in 0..self.batches() {
                self.make(n, &mut batch);
                sinks.emit_batch(report, &batch)?;
            }
            return Ok(());
        }
        let taken = AtomicUsize::new(0);
        let turn = Mutex::new(Turn {
            next: 0,
            stop: false,
            failure: None,
            sinks,
            report,
        });
        let turned = Condvar::new();
        let part = || {
            let run = panic::catch_unwind(AssertUnwindSafe(|| {
                self.work(lines, &taken, &turn, &turned);
            }));
            if run.is_err() {
                lock(&turn).stop = true;
                turned.notify_all();
            }
            run
        };
        let (mine, theirs) = thread::scope(|scope| {
            let helper = thread::Builder::new()
                .name("flow-end".into())
                .spawn_scoped(scope, part);
            let mine = part();
            let theirs = match helper {
                Ok(helper) => helper.join().unwrap_or_else(Err),
                // No thread to be had: this one made every batch.
                Err(_) => Ok(()),
            };
            (mine, theirs)
        });
        if let Err(payload) = mine.and(theirs) {
            panic::resume_unwind(payload);
        }
        let turn = turn.into_inner().unwrap_or_else(PoisonError::into_inner);
        match turn.failure {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// One thread's part: takes the next batch, makes it, emits it in its
    /// turn, until every batch is taken or a failure stops both threads.
    fn work(&self, lines: Lines, taken: &AtomicUsize, turn: &Mutex<Turn<'_>>, turned: &Condvar) {
        let mut batch = Batch::new(lines, BATCH);
        loop {
            let n = taken.fetch_add(1, Ordering::Relaxed);
            if n >= self.batches() {
                return;
            }
            self.make(n, &mut batch);
            let mut t = lock(turn);
            while t.next != n && !t.stop {
                t = turned.wait(t).unwrap_or_else(PoisonError::into_inner);
            }
            if t.stop {
                return;
            }
            let Turn { sinks, report, .. } = &mut *t;
            if let Err(e) = sinks.emit_batch(report, &batch) {
                t.failure = Some(e);
                t.stop = true;
            }
            t.next += 1;
            drop(t);
            turned.notify_all();
        }
    }
}
