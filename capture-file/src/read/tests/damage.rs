//! The reader on damaged files: every problem at its byte offset after the good packets, files that are not captures refused, the error kept, and no panic on any cut or corruption.

use super::*;

#[test]
fn damage_is_reported_at_its_offset_after_the_good_packets() {
    let good = pcap(
        false,
        false,
        1,
        &[(1, 0, 4, &[1, 2, 3, 4]), (2, 0, 2, &[5, 6])],
    );
    let first_bad = good.len() as u64;

    // Cut inside the next record header, then inside its data.
    let mut cut = good.clone();
    cut.extend_from_slice(&[0; 10]);
    let (seen, end) = read_all(cut);
    assert_eq!(seen.len(), 2);
    assert_eq!(offset_of(end).0, first_bad);
    let mut cut = pcap(
        false,
        false,
        1,
        &[
            (1, 0, 4, &[1, 2, 3, 4]),
            (2, 0, 2, &[5, 6]),
            (3, 0, 100, &[7; 100]),
        ],
    );
    cut.truncate(cut.len() - 1);
    let (seen, end) = read_all(cut);
    assert_eq!(seen.len(), 2);
    let (offset, reason) = offset_of(end);
    assert_eq!(offset, first_bad);
    assert!(reason.contains("cut short"), "{reason}");

    // An absurd captured length: reported, nothing allocated for it.
    let mut absurd = good.clone();
    absurd.extend_from_slice(&[
        0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f,
    ]);
    let (seen, end) = read_all(absurd);
    assert_eq!(seen.len(), 2);
    let (offset, reason) = offset_of(end);
    assert_eq!(offset, first_bad);
    assert!(
        reason.contains("absurd captured length 2147483647"),
        "{reason}"
    );

    // pcapng: a block with a length that is not a multiple of 4, and one
    // whose trailing length disagrees.
    let mut ng = shb(false);
    ng.extend(idb(false, 1, &[]));
    ng.extend(epb(false, 0, 1, 1, &[1], &[]));
    let good_ng = ng.len() as u64;
    let mut bad_len = ng.clone();
    bad_len.extend_from_slice(&[6, 0, 0, 0, 33, 0, 0, 0]);
    bad_len.extend_from_slice(&[0; 40]);
    let (seen, end) = read_all(bad_len);
    assert_eq!(seen.len(), 1);
    assert_eq!(offset_of(end).0, good_ng + 4);
    let mut bad_trailer = ng.clone();
    let mut next = epb(false, 0, 2, 1, &[2], &[]);
    let n = next.len();
    next[n - 4] ^= 0x40;
    bad_trailer.extend(next);
    let (seen, end) = read_all(bad_trailer);
    assert_eq!(seen.len(), 1);
    assert_eq!(offset_of(end).0, good_ng + n as u64 - 4);
    // A packet on an interface never described.
    let mut no_iface = ng.clone();
    no_iface.extend(epb(false, 5, 2, 1, &[2], &[]));
    let (seen, end) = read_all(no_iface);
    assert_eq!(seen.len(), 1);
    assert!(offset_of(end).1.contains("interface 5"));
    // An option running past the end of its block.
    let mut bad_opt = ng;
    bad_opt.extend(epb(false, 0, 2, 1, &[2], &[(2, &[0; 4])]));
    // Option header, value, end of options, trailing length: 16 bytes.
    let at = bad_opt.len() - 16;
    bad_opt[at + 2] = 200;
    let (seen, end) = read_all(bad_opt);
    assert_eq!(seen.len(), 1);
    assert_eq!(offset_of(end).0, at as u64);
}

#[test]
fn not_a_capture_file_fails_at_open() {
    let cases: [(&[u8], u64, &str); 5] = [
        (b"", 0, "empty"),
        (b"\xd4\xc3", 0, "inside the file header"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            0,
            "unknown magic number 47455420",
        ),
        (
            b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00",
            0,
            "24-byte pcap file header",
        ),
        (
            b"\n\r\r\n\x1c\x00\x00\x00\x00\x00\x00\x00",
            8,
            "byte-order magic",
        ),
    ];
    for (bytes, want, words) in cases {
        let (offset, reason) = offset_of(read_all(bytes.to_vec()).1);
        assert_eq!(offset, want, "{reason}");
        assert!(reason.contains(words), "{reason}");
    }
    let mut short = shb(false);
    short.truncate(20);
    let (offset, reason) = offset_of(read_all(short).1);
    assert_eq!(offset, 0);
    assert!(reason.contains("20 of 28 bytes"), "{reason}");
    let mut huge = shb(false);
    huge[4..8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let (offset, reason) = offset_of(read_all(huge).1);
    assert_eq!(offset, 4);
    assert!(reason.contains("absurd block length"), "{reason}");
}

#[test]
fn truncated_and_corrupted_files_never_panic() {
    let mut ng = shb(false);
    ng.extend(idb(false, 1, &[(2, b"eth0"), (9, &[9])]));
    ng.extend(epb(
        false,
        0,
        7,
        70,
        &[0x11; 61],
        &[(2, &1u32.to_le_bytes())],
    ));
    ng.extend(spb(false, 9, &[0x22; 9]));
    ng.extend(shb(true));
    ng.extend(idb(true, 113, &[]));
    ng.extend(epb(true, 0, 8, 20, &[0x33; 20], &[]));
    let pc = pcap(
        true,
        true,
        113,
        &[(1, 2, 30, &[0x44; 30]), (3, 4, 5, &[0x55; 5])],
    );
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for file in [ng, pc] {
        for cut in 0..=file.len() {
            let (seen, end) = read_all(file[..cut].to_vec());
            if let Err(FileError { offset, .. }) = &end {
                assert!(*offset <= cut as u64, "offset {offset} past the end {cut}");
            }
            assert!(end.is_err() || seen.len() <= 4);
        }
        for _ in 0..1000 {
            let mut bad = file.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bad.len() as u64) as usize;
                bad[at] = next() as u8;
            }
            let (_, end) = read_all(bad);
            assert!(
                matches!(end, Ok(End::Eof) | Err(FileError { .. })),
                "{end:?}"
            );
        }
    }
}

#[test]
fn the_error_stays_and_reads_after_eof_return_eof() {
    let mut cut = pcap(false, false, 1, &[(1, 0, 1, &[1])]);
    cut.extend_from_slice(&[1, 2, 3]);
    let mut seen = Vec::new();
    let mut r = stream(cut).unwrap();
    assert!(read_one(&mut r, &Never, &mut seen).is_none());
    let first = read_one(&mut r, &Never, &mut seen);
    assert!(matches!(first, Some(Err(_))), "{first:?}");
    assert_eq!(read_one(&mut r, &Never, &mut seen), first);
    let mut r = stream(pcap(false, false, 1, &[(1, 0, 1, &[1])])).unwrap();
    assert!(read_one(&mut r, &Never, &mut seen).is_none());
    assert_eq!(read_one(&mut r, &Never, &mut seen), Some(Ok(End::Eof)));
    assert_eq!(read_one(&mut r, &Never, &mut seen), Some(Ok(End::Eof)));
    assert_eq!((seen.len(), r.packets()), (2, 1));
}
