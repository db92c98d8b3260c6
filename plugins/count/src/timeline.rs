//! Packets and bytes over packet time: buckets of one second, at most [`MAX_BUCKETS`] of them, neighbours merged and the width doubled when a run outgrows them.
//!
//! Buckets lie on a grid fixed in packet time: a bucket of width `w` starts
//! at a multiple of `w` nanoseconds since the Unix epoch, and `w` is one
//! second times a power of two. So the timelines of several capture workers
//! merge exactly: the narrower ones are widened to the widest, then added
//! bucket by bucket.
//!
//! A packet costs one compare and two adds while it falls in the bucket of
//! the packet before it (the common case: packets come in time order); any
//! other packet takes the slow path, which may grow the series.

use serde::{Deserialize, Serialize};

/// The most buckets a timeline holds: past it, the width doubles.
pub const MAX_BUCKETS: usize = 1024;

/// A second in nanoseconds: the narrowest bucket.
const SECOND: u64 = 1_000_000_000;

/// The series and the bucket packets currently fall in.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Bucket width in nanoseconds.
    width: u64,
    /// Start of the first bucket (a multiple of `width`).
    start: u64,
    packets: Vec<u64>,
    bytes: Vec<u64>,
    /// The current bucket: its start, its width (0 before the first packet,
    /// so that no time falls in it), its index, and what it got since it
    /// was last written into the series.
    current_start: u64,
    current_width: u64,
    current_index: usize,
    current_packets: u64,
    current_bytes: u64,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            width: SECOND,
            start: 0,
            packets: Vec::new(),
            bytes: Vec::new(),
            current_start: 0,
            current_width: 0,
            current_index: 0,
            current_packets: 0,
            current_bytes: 0,
        }
    }
}

/// The timeline's JSON form in the count report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineReport {
    /// Seconds per bucket: 1, 2, 4, ...
    pub bucket_seconds: u64,
    /// Start of the first bucket, in nanoseconds since the Unix epoch (0
    /// when no packet was counted).
    pub start_ns: u64,
    /// Packets per bucket.
    pub packets: Vec<u64>,
    /// Captured bytes per bucket.
    pub bytes: Vec<u64>,
}

impl Timeline {
    /// Counts a packet of `bytes` captured bytes at `ts_ns`.
    #[inline]
    pub fn add(&mut self, ts_ns: u64, bytes: u32) {
        if ts_ns.wrapping_sub(self.current_start) < self.current_width {
            self.current_packets += 1;
            self.current_bytes += u64::from(bytes);
        } else {
            self.enter(ts_ns, bytes);
        }
    }

    /// The slow path: the packet starts another bucket.
    #[cold]
    fn enter(&mut self, ts_ns: u64, bytes: u32) {
        self.flush();
        let index = self.index_for(ts_ns);
        self.current_index = index;
        self.current_start = self.start + index as u64 * self.width;
        self.current_width = self.width;
        self.current_packets = 1;
        self.current_bytes = u64::from(bytes);
    }

    /// Writes the current bucket's counts into the series.
    fn flush(&mut self) {
        if self.current_width != 0 {
            self.packets[self.current_index] += self.current_packets;
            self.bytes[self.current_index] += self.current_bytes;
            self.current_packets = 0;
            self.current_bytes = 0;
        }
    }

    /// The index of the bucket of `ts_ns`, the series grown (and widened
    /// as needed) to hold it.
    fn index_for(&mut self, ts_ns: u64) -> usize {
        if self.packets.is_empty() {
            self.start = ts_ns - ts_ns % self.width;
            self.packets.push(0);
            self.bytes.push(0);
            return 0;
        }
        // Earlier than the series: buckets in front.
        while ts_ns < self.start {
            let start = ts_ns - ts_ns % self.width;
            let extra = (self.start - start) / self.width;
            if extra + self.packets.len() as u64 <= MAX_BUCKETS as u64 {
                let extra = extra as usize;
                self.packets.splice(0..0, std::iter::repeat(0).take(extra));
                self.bytes.splice(0..0, std::iter::repeat(0).take(extra));
                self.start = start;
            } else {
                self.double();
            }
        }
        loop {
            let index = (ts_ns - self.start) / self.width;
            if index < MAX_BUCKETS as u64 {
                let index = index as usize;
                if index >= self.packets.len() {
                    self.packets.resize(index + 1, 0);
                    self.bytes.resize(index + 1, 0);
                }
                return index;
            }
            self.double();
        }
    }

    /// Doubles the bucket width: neighbours merge, pairs aligned on the
    /// grid of the new width. The current bucket must have been flushed.
    fn double(&mut self) {
        let width = self.width.saturating_mul(2);
        if self.start % width != 0 {
            self.start -= self.width;
            self.packets.insert(0, 0);
            self.bytes.insert(0, 0);
        }
        self.packets = pairs(&self.packets);
        self.bytes = pairs(&self.bytes);
        self.width = width;
        // The current bucket's place moved: the next packet finds it again.
        self.current_width = 0;
    }

    /// The series as the report gives it.
    pub fn report(&mut self) -> TimelineReport {
        self.flush();
        TimelineReport {
            bucket_seconds: self.width / SECOND,
            start_ns: self.start,
            packets: self.packets.clone(),
            bytes: self.bytes.clone(),
        }
    }

    /// A timeline from its report, checked: the width one second times a
    /// power of two, the start on its grid, as many byte counts as packet
    /// counts and no more than [`MAX_BUCKETS`].
    ///
    /// # Errors
    /// What is wrong with the report.
    pub fn from_report(report: TimelineReport) -> Result<Timeline, String> {
        let width = report
            .bucket_seconds
            .checked_mul(SECOND)
            .filter(|_| report.bucket_seconds.is_power_of_two() && report.bucket_seconds <= 1 << 32)
            .ok_or_else(|| {
                format!(
                    "timeline: bucket_seconds {} is not a power of two up to 2^32",
                    report.bucket_seconds
                )
            })?;
        if report.start_ns % width != 0 {
            return Err(format!(
                "timeline: start_ns {} is not a multiple of the bucket width",
                report.start_ns
            ));
        }
        if report.packets.len() != report.bytes.len() || report.packets.len() > MAX_BUCKETS {
            return Err(format!(
                "timeline: {} packet and {} byte buckets (at most {MAX_BUCKETS}, as many of each)",
                report.packets.len(),
                report.bytes.len()
            ));
        }
        Ok(Timeline {
            width,
            start: report.start_ns,
            packets: report.packets,
            bytes: report.bytes,
            ..Timeline::default()
        })
    }

    /// Adds `other` (another worker's timeline) into this one.
    pub fn merge(&mut self, mut other: Timeline) {
        self.flush();
        other.flush();
        if other.packets.is_empty() {
            return;
        }
        if self.packets.is_empty() {
            *self = other;
            return;
        }
        while self.width < other.width {
            self.double();
        }
        while other.width < self.width {
            other.double();
        }
        let (start, len) = loop {
            let start = self.start.min(other.start);
            let len = self.reach(start).max(other.reach(start));
            if len <= MAX_BUCKETS as u64 {
                break (start, len as usize);
            }
            self.double();
            other.double();
        };
        let mut packets = vec![0; len];
        let mut bytes = vec![0; len];
        for t in [&*self, &other] {
            let offset = ((t.start - start) / t.width) as usize;
            for (i, (p, b)) in t.packets.iter().zip(&t.bytes).enumerate() {
                packets[offset + i] += p;
                bytes[offset + i] += b;
            }
        }
        self.start = start;
        self.packets = packets;
        self.bytes = bytes;
        self.current_width = 0;
    }

    /// How many buckets from `start` (at most this timeline's) to the end
    /// of this timeline's last one.
    fn reach(&self, start: u64) -> u64 {
        (self.start - start) / self.width + self.packets.len() as u64
    }
}

/// Neighbours summed: `[a, b, c]` → `[a + b, c]`.
fn pairs(values: &[u64]) -> Vec<u64> {
    values.chunks(2).map(|pair| pair.iter().sum()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed(times_s: &[f64]) -> Timeline {
        let mut t = Timeline::default();
        for &s in times_s {
            t.add((s * 1e9) as u64, 100);
        }
        t
    }

    #[test]
    fn buckets_are_seconds_of_packet_time_on_the_epoch_grid() {
        let mut t = fed(&[1000.2, 1000.9, 1001.0, 1003.5, 1002.1]);
        let r = t.report();
        assert_eq!(r.bucket_seconds, 1);
        assert_eq!(r.start_ns, 1000 * SECOND);
        assert_eq!(r.packets, [2, 1, 1, 1]);
        assert_eq!(r.bytes, [200, 100, 100, 100]);
        // A packet earlier than the first: buckets in front.
        t.add(998 * SECOND, 10);
        let r = t.report();
        assert_eq!(r.start_ns, 998 * SECOND);
        assert_eq!(r.packets, [1, 0, 2, 1, 1, 1]);
        assert_eq!(r.bytes, [10, 0, 200, 100, 100, 100]);
        // Reporting twice counts nothing twice.
        assert_eq!(t.report().packets, [1, 0, 2, 1, 1, 1]);
        assert_eq!(Timeline::default().report().packets, Vec::<u64>::new());
    }

    #[test]
    fn the_width_doubles_past_the_limit_and_nothing_is_lost() {
        let mut t = Timeline::default();
        // Odd start: pairs realign on the 2-second grid.
        let first = 1_000_001u64;
        let seconds = MAX_BUCKETS as u64 + 1;
        for s in 0..seconds {
            t.add((first + s) * SECOND + 5, 10);
            t.add((first + s) * SECOND + 7, 1);
        }
        let r = t.report();
        assert_eq!(r.bucket_seconds, 2);
        assert_eq!(r.start_ns, (first - 1) * SECOND);
        assert!(r.packets.len() <= MAX_BUCKETS);
        assert_eq!(r.packets[0], 2, "the first second alone in its pair");
        assert_eq!(r.packets[1], 4);
        assert_eq!(r.packets.iter().sum::<u64>(), 2 * seconds);
        assert_eq!(r.bytes.iter().sum::<u64>(), 11 * seconds);
        // Far apart: doubled as often as needed, within the limit.
        let mut t = fed(&[10.0, 1e6]);
        let r = t.report();
        assert!(r.packets.len() <= MAX_BUCKETS, "{}", r.packets.len());
        assert_eq!(r.bucket_seconds, 1024);
        assert_eq!(r.packets.iter().sum::<u64>(), 2);
        assert_eq!(r.start_ns % (r.bucket_seconds * SECOND), 0);
        // Packet times that span the whole clock still fit.
        let mut t = Timeline::default();
        t.add(0, 1);
        t.add(u64::MAX, 1);
        let r = t.report();
        assert!(r.packets.len() <= MAX_BUCKETS);
        assert_eq!(r.packets.iter().sum::<u64>(), 2);
    }

    #[test]
    fn workers_merge_into_one_timeline_of_the_widest_bucket() {
        // One run's packets split between two workers, one of which ran
        // long enough to double its width.
        let a_times: Vec<f64> = (0..1500).map(|s| 5000.0 + f64::from(s)).collect();
        let b_times = [5001.5, 5003.2, 4990.0];
        let mut a = fed(&a_times);
        let b = fed(&b_times);
        let mut one = fed(&[a_times.as_slice(), &b_times].concat());
        let mut merged = Timeline::from_report(a.report()).unwrap();
        merged.merge(Timeline::from_report(b.clone().report()).unwrap());
        assert_eq!(merged.report(), one.report());
        assert_eq!(one.report().bucket_seconds, 2);
        // Either order, and an empty worker changes nothing.
        let mut other_way = b;
        other_way.merge(a.clone());
        other_way.merge(Timeline::default());
        assert_eq!(other_way.report(), one.report());
        let mut empty = Timeline::default();
        empty.merge(a.clone());
        assert_eq!(empty.report(), a.report());
    }

    #[test]
    fn bad_reports_are_refused() {
        let good = TimelineReport {
            bucket_seconds: 2,
            start_ns: 4 * SECOND,
            packets: vec![1],
            bytes: vec![60],
        };
        assert!(Timeline::from_report(good.clone()).is_ok());
        for bad in [
            TimelineReport {
                bucket_seconds: 3,
                ..good.clone()
            },
            TimelineReport {
                bucket_seconds: 0,
                ..good.clone()
            },
            TimelineReport {
                bucket_seconds: 1 << 62,
                ..good.clone()
            },
            TimelineReport {
                start_ns: 3 * SECOND,
                ..good.clone()
            },
            TimelineReport {
                bytes: vec![],
                ..good.clone()
            },
            TimelineReport {
                packets: vec![0; MAX_BUCKETS + 1],
                bytes: vec![0; MAX_BUCKETS + 1],
                ..good
            },
        ] {
            assert!(Timeline::from_report(bad.clone()).is_err(), "{bad:?}");
        }
    }
}
