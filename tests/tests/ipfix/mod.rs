//! netraf-flow's IPFIX export checked against nfdump's collector, `nfcapd`: the exporter alone, and netraf-host replaying the corpus.

mod collector;
mod exporter;
mod host;
