//! The byte stream under a capture file: a file, standard input or any reader, with retries on EINTR and the OS error kept for the message.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::Error;

/// A reader that retries interrupted reads and keeps the last I/O error, so
/// that a failed read reports the OS error, not only "read error".
pub(crate) struct Input {
    inner: Box<dyn Read + Send>,
    last_error: Arc<Mutex<Option<io::Error>>>,
}

/// The handle through which the file source reads back the last I/O error of
/// its [`Input`] after the parser saw the read fail.
#[derive(Clone)]
pub(crate) struct ErrorSlot(Arc<Mutex<Option<io::Error>>>);

impl ErrorSlot {
    /// The last I/O error as text, or a generic message.
    pub(crate) fn take_message(&self) -> String {
        let taken = match self.0.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        match taken {
            Some(err) => format!("read failed: {err}"),
            None => "read failed".to_string(),
        }
    }
}

impl Input {
    /// Wraps any reader; returns it with the slot its errors land in.
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> (Input, ErrorSlot) {
        let last_error = Arc::new(Mutex::new(None));
        let slot = ErrorSlot(Arc::clone(&last_error));
        (Input { inner, last_error }, slot)
    }

    /// Opens `path`, or standard input when `path` is `-`.
    pub(crate) fn open(path: &Path) -> Result<(Input, ErrorSlot), Error> {
        if path.as_os_str() == "-" {
            return Ok(Input::new(Box::new(io::stdin())));
        }
        let file = File::open(path).map_err(|err| Error::File {
            path: path.display().to_string(),
            offset: 0,
            reason: format!(
                "cannot open the capture file: {err} (check the path and its permissions)"
            ),
        })?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Error::File {
                path: path.display().to_string(),
                offset: 0,
                reason: "is a directory, not a capture file".into(),
            });
        }
        Ok(Input::new(Box::new(file)))
    }

    /// Reads until `buf` holds at least `want` bytes or the stream ends;
    /// returns how many bytes were read.
    pub(crate) fn read_at_least(&mut self, buf: &mut [u8], want: usize) -> io::Result<usize> {
        let mut got = 0;
        while got < want.min(buf.len()) {
            match self.inner.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(got)
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    let kind = err.kind();
                    let message = err.to_string();
                    match self.last_error.lock() {
                        Ok(mut guard) => *guard = Some(err),
                        Err(poisoned) => *poisoned.into_inner() = Some(err),
                    }
                    return Err(io::Error::new(kind, message));
                }
                ok => return ok,
            }
        }
    }
}
