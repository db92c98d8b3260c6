//! Why the program ends unsuccessfully: a bad setup (exit 2) or a failed run (exit 1), each said in one line.

/// Why the program ends unsuccessfully; the message is one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A bad config, command line or plugin: nothing was captured (exit 2).
    Setup(String),
    /// The capture failed or a plugin was disabled while running (exit 1).
    Run(String),
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Setup(_) => 2,
            Failure::Run(_) => 1,
        }
    }

    /// The one-line reason.
    pub fn message(&self) -> &str {
        match self {
            Failure::Setup(m) | Failure::Run(m) => m,
        }
    }
}
