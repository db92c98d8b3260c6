//! The file source: a capture file (or standard input, or any byte stream) read by `capture-file` through the same loop as a live socket.
//!
//! The reading itself (the bounded buffer, the formats, damage at its byte
//! offset) is `capture_file::Reader`'s; here each of its records becomes a
//! [`PacketHeader`]: `ifindex` = the pcapng interface id (0 for pcap),
//! `ifname`, `pkttype`, `link_type`, lengths and time as the file says, and
//! `vlan` always `None` (files keep tags in the bytes). A damaged file ends
//! the loop with [`Error::File`] naming the path and the byte offset, after
//! every packet before it was handed to the handler.
//!
//! [`Stats`] of a file: `received` = packets read so far, `dropped` = 0.
//!
//! A pipe, FIFO or terminal may send nothing for a long time: its reads wait
//! in poll beside the session's eventfd, so that
//! [`Breaker::end`](crate::Breaker::end) ends the wait; its file header is
//! read by the first run of the loop rather than when it is opened, so that
//! a breaker can end that wait too.

#[cfg(test)]
mod tests;

use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::sync::Arc;

use capture_file::{FileError, Interrupt, Next, Reader};

use crate::loop_control::{Handler, LoopEnd, Shared, Stats, Verdict};
use crate::sys::EventFd;
use crate::Error;
use crate::PacketHeader;

/// An open capture file.
pub(crate) struct FileSource {
    path: String,
    reader: Reader,
}

impl FileSource {
    /// Opens `path` (`-` = standard input). The header of a regular file is
    /// read now; that of a pipe, FIFO or terminal by the first run, whose
    /// waits the session's eventfd (made here) can end.
    pub(crate) fn open(path: &Path, shared: &Shared) -> Result<FileSource, Error> {
        let name = path.display().to_string();
        let reader = Reader::open(path).map_err(|err| file_error(&name, err))?;
        if reader.may_wait() {
            let waker = EventFd::new().map_err(|source| Error::Os {
                context: format!("eventfd for reading {name}"),
                source,
            })?;
            shared.install_waker(Arc::new(waker));
        }
        Ok(FileSource { path: name, reader })
    }

    /// Reads a capture from any byte stream; `name` stands for the path in
    /// errors. The header is read now.
    pub(crate) fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
    ) -> Result<FileSource, Error> {
        let reader = Reader::from_reader(name, reader).map_err(|err| file_error(name, err))?;
        Ok(FileSource {
            path: name.to_string(),
            reader,
        })
    }

    pub(crate) fn run<H: Handler + ?Sized>(
        &mut self,
        handler: &mut H,
        shared: &Shared,
    ) -> Result<LoopEnd, Error> {
        loop {
            match self.reader.next(shared) {
                Ok(Next::Packet(record, data)) => {
                    let header = PacketHeader::of_record(&record);
                    if handler.on_packet(&header, data) == Verdict::End {
                        return Ok(LoopEnd::ByHandler);
                    }
                }
                Ok(Next::Eof) => return Ok(LoopEnd::Eof),
                Ok(Next::Ended) => {
                    shared.take_ended();
                    return Ok(LoopEnd::ByBreaker);
                }
                Err(err) => return Err(file_error(&self.path, err)),
            }
        }
    }

    pub(crate) fn stats(&mut self) -> Result<Stats, Error> {
        Ok(Stats {
            received: self.reader.packets(),
            dropped: 0,
        })
    }

    pub(crate) fn close(self) -> Result<(), Error> {
        Ok(())
    }
}

/// The reader's error as the session's, with the path.
fn file_error(path: &str, FileError { offset, reason }: FileError) -> Error {
    Error::File {
        path: path.to_string(),
        offset,
        reason,
    }
}

/// A session's end request, as the reader asks it: the flag a breaker sets,
/// and the eventfd it writes.
impl Interrupt for Shared {
    fn is_ended(&self) -> bool {
        Shared::is_ended(self)
    }

    fn wake_fd(&self) -> Option<BorrowedFd<'_>> {
        self.waker().map(|waker| waker.as_fd())
    }

    fn woken(&self) {
        if let Some(waker) = self.waker() {
            waker.drain();
        }
    }
}
