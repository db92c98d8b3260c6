//! The reader's tests: a harness that reads bytes both by path and as a stream, and builders of pcap and pcapng files; the tests by job in `formats`, `damage` and `streams`.

mod damage;
mod formats;
mod streams;

use std::io::Cursor;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

/// One packet as a test sees it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Seen {
    pub(super) ts_ns: u64,
    pub(super) len: u32,
    pub(super) ifindex: u32,
    pub(super) ifname: String,
    pub(super) pkttype: PacketType,
    pub(super) link_type: u16,
    pub(super) data: Vec<u8>,
}

/// How reading ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    Eof,
    Ended,
}

pub(super) fn stream(bytes: Vec<u8>) -> Result<Reader, FileError> {
    Reader::from_reader("test.pcap", Box::new(Cursor::new(bytes)))
}

/// The same bytes as a regular file, opened by path.
fn by_path(bytes: &[u8]) -> Result<Reader, FileError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "capture-file-test-{}-{}.pcap",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, bytes).unwrap();
    let reader = Reader::open(&path);
    // The open file outlives its name.
    std::fs::remove_file(&path).unwrap();
    reader
}

/// Reads one packet into `seen`, or says how reading ended.
pub(super) fn read_one<I: Interrupt + ?Sized>(
    reader: &mut Reader,
    interrupt: &I,
    seen: &mut Vec<Seen>,
) -> Option<Result<End, FileError>> {
    match reader.next(interrupt) {
        Ok(Next::Packet(h, data)) => {
            assert_eq!(h.caplen as usize, data.len());
            seen.push(Seen {
                ts_ns: h.ts_ns,
                len: h.len,
                ifindex: h.interface,
                ifname: h.ifname.to_string(),
                pkttype: h.packet_type,
                link_type: h.link_type.0,
                data: data.to_vec(),
            });
            None
        }
        Ok(Next::Eof) => Some(Ok(End::Eof)),
        Ok(Next::Ended) => Some(Ok(End::Ended)),
        Err(err) => Some(Err(err)),
    }
}

/// Reads to the end; returns the packets and how reading ended.
pub(super) fn drain(reader: Result<Reader, FileError>) -> (Vec<Seen>, Result<End, FileError>) {
    let mut reader = match reader {
        Ok(reader) => reader,
        Err(err) => return (Vec::new(), Err(err)),
    };
    let mut seen = Vec::new();
    loop {
        if let Some(end) = read_one(&mut reader, &Never, &mut seen) {
            return (seen, end);
        }
    }
}

/// Reads to the end both from a stream and from a file opened by path,
/// checks that both saw the same; returns the packets and how reading ended.
pub(super) fn read_all(bytes: Vec<u8>) -> (Vec<Seen>, Result<End, FileError>) {
    let from_path = drain(by_path(&bytes));
    let streamed = drain(stream(bytes));
    assert_eq!(format!("{from_path:?}"), format!("{streamed:?}"));
    streamed
}

pub(super) fn offset_of(end: Result<End, FileError>) -> (u64, String) {
    match end {
        Err(FileError { offset, reason }) => (offset, reason),
        other => panic!("expected a file error, got {other:?}"),
    }
}

pub(super) fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

pub(super) fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

/// A pcap file: header, then (seconds, fraction, original length, bytes) records.
pub(super) fn pcap(
    be: bool,
    nanos: bool,
    link_type: u32,
    records: &[(u32, u32, u32, &[u8])],
) -> Vec<u8> {
    let mut out = Vec::new();
    put32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be);
    put16(&mut out, 2, be);
    put16(&mut out, 4, be);
    put32(&mut out, 0, be);
    put32(&mut out, 0, be);
    put32(&mut out, 65535, be);
    put32(&mut out, link_type, be);
    for &(sec, frac, len, data) in records {
        put32(&mut out, sec, be);
        put32(&mut out, frac, be);
        put32(&mut out, data.len() as u32, be);
        put32(&mut out, len, be);
        out.extend_from_slice(data);
    }
    out
}

/// A pcapng option list (with opt_endofopt).
pub(super) fn options(be: bool, opts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(code, value) in opts {
        put16(&mut out, code, be);
        put16(&mut out, value.len() as u16, be);
        out.extend_from_slice(value);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if !opts.is_empty() {
        out.extend_from_slice(&[0; 4]);
    }
    out
}

/// A pcapng block around `body` (padded to 4 bytes).
pub(super) fn block(be: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().next_multiple_of(4);
    let total = (12 + padded) as u32;
    let mut out = Vec::new();
    put32(&mut out, block_type, be);
    put32(&mut out, total, be);
    out.extend_from_slice(body);
    out.resize(8 + padded, 0);
    put32(&mut out, total, be);
    out
}

pub(super) fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    put32(&mut body, BOM, be);
    put16(&mut body, 1, be);
    put16(&mut body, 0, be);
    body.extend_from_slice(&[0xff; 8]);
    block(be, SHB, &body)
}

pub(super) fn idb(be: bool, link_type: u16, opts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    put16(&mut body, link_type, be);
    put16(&mut body, 0, be);
    put32(&mut body, 0, be);
    body.extend_from_slice(&options(be, opts));
    block(be, IDB, &body)
}

pub(super) fn epb(
    be: bool,
    if_id: u32,
    ticks: u64,
    len: u32,
    data: &[u8],
    opts: &[(u16, &[u8])],
) -> Vec<u8> {
    let mut body = Vec::new();
    put32(&mut body, if_id, be);
    put32(&mut body, (ticks >> 32) as u32, be);
    put32(&mut body, ticks as u32, be);
    put32(&mut body, data.len() as u32, be);
    put32(&mut body, len, be);
    body.extend_from_slice(data);
    body.resize(body.len().next_multiple_of(4), 0);
    body.extend_from_slice(&options(be, opts));
    block(be, EPB, &body)
}

pub(super) fn spb(be: bool, len: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    put32(&mut body, len, be);
    body.extend_from_slice(data);
    block(be, SPB, &body)
}
