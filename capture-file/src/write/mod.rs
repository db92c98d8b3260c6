//! Capture file writers: pcap (nanosecond) and pcapng, from a packet's record and bytes to any `io::Write`.
//!
//! Both write little-endian files that tcpdump, tshark and netraf's reader
//! read back with the same packets, lengths and timestamps. Neither
//! allocates per packet (pcapng allocates once per new interface); give them
//! a buffered writer (`BufWriter<File>`), and call `finish` (or `flush`)
//! before the file is closed so that every record is complete on disk.

mod pcap;
mod pcapng;

#[cfg(test)]
mod tests;

pub use pcap::PcapWriter;
pub use pcapng::PcapngWriter;
