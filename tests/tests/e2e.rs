//! netraf's integration tests, one binary: each module is one area.

mod host;
