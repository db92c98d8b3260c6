//! Where every finished record goes: the report, the conn log and the IPFIX export, one record at a time or a batch whose log lines are made already.

use crate::ipfix::Exporter;
use crate::json;
use crate::output::Output;
use crate::record::FlowRecord;
use crate::report::Report;

/// The destinations of the records, apart from the report (which the
/// capture side counts into as well).
pub struct Sinks {
    /// The conn log, unless `output = ""`.
    pub out: Option<Output>,
    /// The IPFIX export, with `ipfix = "HOST:PORT"`.
    pub ipfix: Option<Exporter>,
    /// IPFIX messages that could not be sent (a collector down or
    /// restarting): counted and warned about once, the flows go on.
    pub export_failures: u64,
    /// `wire_bytes`: the log's lines carry the frame bytes too.
    pub wire_bytes: bool,
    /// The line being written (reused).
    line: Vec<u8>,
    /// Records emitted (to every destination).
    pub emitted: u64,
    /// The records emitted, kept for the unit tests.
    #[cfg(test)]
    pub seen: Vec<FlowRecord>,
}

/// Room for one conn log line: most are shorter (IPv4, short history).
const LINE: usize = 384;

/// Whether records get conn log lines, and which.
#[derive(Debug, Clone, Copy)]
pub struct Lines {
    log: bool,
    wire_bytes: bool,
}

/// Records made together, with their conn log lines when there is a log.
pub struct Batch {
    /// The records, in the order they are emitted.
    pub records: Vec<FlowRecord>,
    /// Their lines, one after the other (empty without a conn log).
    pub lines: Vec<u8>,
    format: Lines,
}

impl Batch {
    /// An empty batch with room for `records` records and their lines.
    pub fn new(format: Lines, records: usize) -> Batch {
        Batch {
            records: Vec::with_capacity(records),
            lines: Vec::with_capacity(if format.log { records * LINE } else { 0 }),
            format,
        }
    }

    /// Empties the batch, keeping its room.
    pub fn clear(&mut self) {
        self.records.clear();
        self.lines.clear();
    }

    /// Adds `rec` (and its line, when there is a log).
    pub fn push(&mut self, rec: FlowRecord) {
        if self.format.log {
            json::append_record(&mut self.lines, &rec, self.format.wire_bytes);
        }
        self.records.push(rec);
    }
}

impl Sinks {
    /// The destinations: `out` (if any), `ipfix` (if any).
    pub fn new(out: Option<Output>, ipfix: Option<Exporter>, wire_bytes: bool) -> Sinks {
        Sinks {
            out,
            ipfix,
            export_failures: 0,
            wire_bytes,
            line: Vec::with_capacity(512),
            emitted: 0,
            #[cfg(test)]
            seen: Vec::new(),
        }
    }

    /// The lines these destinations need.
    pub fn lines(&self) -> Lines {
        Lines {
            log: self.out.is_some(),
            wire_bytes: self.wire_bytes,
        }
    }

    /// Emits one record: counted in `report`, written to the conn log and
    /// exported.
    ///
    /// # Errors
    /// The conn log cannot be written (a failed export is only counted).
    pub fn emit(&mut self, report: &mut Report, rec: &FlowRecord) -> Result<(), String> {
        self.emitted += 1;
        report.record(rec);
        if let Some(out) = &mut self.out {
            json::write_record(&mut self.line, rec, self.wire_bytes);
            out.write_line(&self.line)
                .map_err(|e| format!("writing {}: {e}", out.name()))?;
        }
        self.export(rec);
        Ok(())
    }

    /// Emits a batch: its records counted in `report` and exported in
    /// order, and its lines written to the conn log at once (line by line
    /// where the log rotates within them).
    ///
    /// # Errors
    /// The conn log cannot be written.
    pub fn emit_batch(&mut self, report: &mut Report, batch: &Batch) -> Result<(), String> {
        self.emitted += batch.records.len() as u64;
        for rec in &batch.records {
            report.record(rec);
            self.export(rec);
        }
        if let Some(out) = &mut self.out {
            out.write_lines(&batch.lines, batch.records.len() as u64)
                .map_err(|e| format!("writing {}: {e}", out.name()))?;
        }
        Ok(())
    }

    /// Exports `rec` over IPFIX, if configured.
    fn export(&mut self, rec: &FlowRecord) {
        if let Some(exporter) = &mut self.ipfix {
            let sent = exporter.export(rec);
            self.export_failed(sent);
        }
        #[cfg(test)]
        self.seen.push(rec.clone());
    }

    /// Pushes the conn log's buffered lines out and sends the IPFIX
    /// records waiting (`what`: the error's verb, "flushing", "closing").
    ///
    /// # Errors
    /// The conn log cannot be written.
    pub fn flush(&mut self, what: &str) -> Result<(), String> {
        if let Some(out) = &mut self.out {
            out.flush()
                .map_err(|e| format!("{what} {}: {e}", out.name()))?;
        }
        if let Some(exporter) = &mut self.ipfix {
            let sent = exporter.flush();
            self.export_failed(sent);
        }
        Ok(())
    }

    /// Counts a failed IPFIX send (the exporter says which records it lost
    /// and sends the templates again with its next message): a collector
    /// going away must not stop the flow table.
    fn export_failed(&mut self, sent: Result<(), String>) {
        if let Err(e) = sent {
            if self.export_failures == 0 {
                eprintln!(
                    "flow: {} (counted in the report's ipfix.failed_sends; warned once)",
                    plugin_api::escape(&e)
                );
            }
            self.export_failures += 1;
        }
    }
}
