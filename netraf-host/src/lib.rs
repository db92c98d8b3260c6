//! netraf-host's library side: the pieces of the program that tests and benchmarks use directly.
#![deny(unsafe_code)]

pub mod decode;
