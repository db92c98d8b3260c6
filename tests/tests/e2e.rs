//! netraf's end-to-end tests, one binary: each module is one area.

mod corpus;
mod pcap_writer;
