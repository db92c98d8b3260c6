//! When plugins get `on_tick`: once a second of packet time, the rule the host and the test kit share.

/// A tick's period: one second, in nanoseconds.
pub const TICK_NS: u64 = 1_000_000_000;

/// The tick schedule of one chain of plugins: a tick every second of packet
/// time from the first packet; after a gap of several seconds, one tick at
/// the new time, and the schedule realigns. Time going backwards is ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct TickClock {
    /// When the next tick is due; 0 before the first packet.
    next_ns: u64,
}

impl TickClock {
    /// A clock that has seen no time yet.
    pub const fn new() -> TickClock {
        TickClock { next_ns: 0 }
    }

    /// Moves the clock to `now_ns`: the time of the tick to give, if a tick
    /// boundary was crossed.
    #[inline]
    pub fn advance(&mut self, now_ns: u64) -> Option<u64> {
        if self.next_ns == 0 {
            self.next_ns = now_ns.saturating_add(TICK_NS);
            return None;
        }
        if now_ns < self.next_ns {
            return None;
        }
        let at = if now_ns - self.next_ns >= TICK_NS {
            now_ns
        } else {
            self.next_ns
        };
        self.next_ns = at.saturating_add(TICK_NS);
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_each_second_then_realigns_after_a_gap() {
        let mut clock = TickClock::new();
        assert_eq!(clock.advance(10 * TICK_NS), None);
        assert_eq!(clock.advance(10 * TICK_NS + 5), None);
        assert_eq!(clock.advance(11 * TICK_NS + 7), Some(11 * TICK_NS));
        assert_eq!(clock.advance(11 * TICK_NS + 9), None);
        assert_eq!(clock.advance(20 * TICK_NS + 3), Some(20 * TICK_NS + 3));
        assert_eq!(clock.advance(5), None);
        assert_eq!(clock.advance(21 * TICK_NS + 3), Some(21 * TICK_NS + 3));
    }
}
