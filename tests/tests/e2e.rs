//! netraf's end-to-end tests, built as one binary: real packets on real sockets.

mod capture;
