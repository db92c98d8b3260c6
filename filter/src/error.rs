//! The one error of the filter compiler: what is wrong, and at which column of the expression.

use std::fmt;

/// Why an expression did not compile, with the 1-based column of the word at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// A valid pcap-filter word or construct netraf does not compile (yet).
    Unsupported {
        /// The word or construct refused.
        word: String,
        /// 1-based column of the word.
        column: usize,
    },
    /// The expression does not parse.
    Syntax {
        /// What the parser expected there.
        expected: String,
        /// 1-based column of the offending token.
        column: usize,
    },
    /// The expression parses but means nothing valid (a port above 65535, a division by zero, ...).
    Invalid {
        /// What is wrong.
        message: String,
        /// 1-based column of the word at fault.
        column: usize,
    },
}

impl FilterError {
    pub(crate) fn unsupported(word: impl Into<String>, column: usize) -> FilterError {
        FilterError::Unsupported {
            word: word.into(),
            column,
        }
    }

    pub(crate) fn syntax(expected: impl Into<String>, column: usize) -> FilterError {
        FilterError::Syntax {
            expected: expected.into(),
            column,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>, column: usize) -> FilterError {
        FilterError::Invalid {
            message: message.into(),
            column,
        }
    }

    /// The 1-based column the error points at.
    pub fn column(&self) -> usize {
        match self {
            FilterError::Unsupported { column, .. }
            | FilterError::Syntax { column, .. }
            | FilterError::Invalid { column, .. } => *column,
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Unsupported { word, column } => {
                write!(f, "unsupported: '{word}' at column {column}")
            }
            FilterError::Syntax { expected, column } => {
                write!(f, "syntax error at column {column}: expected {expected}")
            }
            FilterError::Invalid { message, column } => {
                write!(f, "invalid filter at column {column}: {message}")
            }
        }
    }
}

impl std::error::Error for FilterError {}
