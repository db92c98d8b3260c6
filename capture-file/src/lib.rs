//! netraf's capture files: pcap and pcapng read through a bounded buffer and written, and the vocabulary of a captured packet.
//!
//! This crate owns:
//! - what a captured packet's bytes are: its [`LinkType`], its
//!   [`PacketType`] (what it was to the capturing host), and a VLAN tag the
//!   kernel stripped from them ([`StrippedVlan`]); mycap-core and plugin-api
//!   use these types, so that each word has one type;
//! - the capture header of one packet ([`PacketHeader`]): what MYCAP
//!   reports beside its bytes;
//! - the Linux cooked capture headers (SLL and SLL2), in [`cooked`]: the one
//!   place that reads them and writes SLL2;
//! - reading pcap and pcapng files ([`Reader`]): each packet handed over as a
//!   [`Record`] and its bytes, borrowed from the buffer; damage reported at
//!   its byte offset ([`FileError`]); a pipe's or FIFO's wait for its writer
//!   ended from another thread through an [`Interrupt`];
//! - writing them ([`PcapWriter`], [`PcapngWriter`]).
//!
//! ```no_run
//! use capture_file::{Never, Next, Reader};
//!
//! let mut reader = Reader::open(std::path::Path::new("trace.pcapng"))?;
//! while let Next::Packet(record, data) = reader.next(&Never)? {
//!     println!("{} {} {} bytes", record.ifname, record.packet_type, data.len());
//! }
//! # Ok::<(), capture_file::FileError>(())
//! ```

pub mod bytes;
pub mod cooked;
mod error;
mod header;
mod interrupt;
mod limits;
mod link_type;
mod packet_type;
mod read;
mod record;
mod stripped_vlan;
#[allow(unsafe_code)]
mod sys;
mod write;

pub use error::FileError;
pub use header::PacketHeader;
pub use interrupt::{Interrupt, Never};
pub use limits::MAX_CAPLEN;
pub use link_type::LinkType;
pub use packet_type::PacketType;
pub use read::{Next, Reader};
pub use record::Record;
pub use stripped_vlan::StrippedVlan;
pub use sys::{poll_two, Readiness};
pub use write::{PcapWriter, PcapngWriter};
