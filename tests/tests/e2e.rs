//! netraf's end-to-end tests, built as one binary: real packets on real sockets, real capture files.

mod bpf_vm;
mod capi;
mod capture;
mod corpus;
mod fanout;
mod flow;
mod host;
mod ipfix;
mod live_filter;
mod pcap_writer;
mod report_html;
mod wire;
