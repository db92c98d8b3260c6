//! The file source: pcap and pcapng capture files read through the same loop.

use std::path::Path;

use crate::session::{Handler, LoopEnd, Shared, Stats};
use crate::Error;

/// An open capture file.
pub(crate) struct FileSource {
    _private: (),
}

impl FileSource {
    pub(crate) fn open(path: &Path) -> Result<FileSource, Error> {
        Err(Error::File {
            path: path.display().to_string(),
            offset: 0,
            reason: "reading capture files is not built yet".into(),
        })
    }

    pub(crate) fn run<H: Handler + ?Sized>(
        &mut self,
        _handler: &mut H,
        _shared: &Shared,
    ) -> Result<LoopEnd, Error> {
        Ok(LoopEnd::Eof)
    }

    pub(crate) fn stats(&mut self) -> Result<Stats, Error> {
        Ok(Stats::default())
    }

    pub(crate) fn close(self) -> Result<(), Error> {
        Ok(())
    }
}
