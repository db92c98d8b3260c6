//! The error of a capture file: the byte offset where it went wrong, and why.

use std::fmt;

/// A capture file that cannot be read (any further): the byte offset of the
/// problem (0 for a file that cannot be opened) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// Byte offset in the file where the problem was found.
    pub offset: u64,
    /// What is wrong, in words a person can act on.
    pub reason: String,
}

impl FileError {
    pub(crate) fn new(offset: u64, reason: String) -> FileError {
        FileError { offset, reason }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte offset {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for FileError {}
