//! A plugin for netraf's tests whose behaviour its config chooses: record, stop every other packet, end the run, panic (also when dropped), refuse to start, or register a metric the host refuses.

use plugin_api::{Host, Packet, Plugin, Verdict};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Mode {
    /// Let every packet through and record it.
    Record,
    /// Answer Stop for the 2nd, 4th, 6th... packet it sees.
    StopEveryOther,
    /// Panic in on_packet on packet number `panic_at` (1-based).
    Panic,
    /// Refuse to start (the constructor returns an error).
    FailNew,
    /// Panic in the constructor.
    PanicNew,
    /// Answer End (the run ends cleanly) on packet number `end_at` (1-based).
    End,
    /// Record, and panic when the host drops the instance.
    PanicDrop,
    /// Register a metric whose name is no metric name (in `attach`).
    BadMetric,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    mode: Mode,
    #[serde(default = "one")]
    panic_at: u64,
    #[serde(default = "one")]
    end_at: u64,
}

fn one() -> u64 {
    1
}

/// The test plugin's state: what it saw.
pub struct TestKit {
    settings: Settings,
    packets: u64,
    /// Timestamps of the packets seen, in order (tests send few packets).
    seen: Vec<u64>,
    ticks: Vec<u64>,
    shutdowns: u32,
}

impl Plugin for TestKit {
    fn attach(&mut self, host: &Host<'_>) -> Result<(), String> {
        if self.settings.mode == Mode::BadMetric {
            host.gauge("queue depth", "packets waiting", &[])?;
        }
        Ok(())
    }

    fn new(config: &str) -> Result<Self, String> {
        let settings: Settings = plugin_api::parse_config(config)?;
        match settings.mode {
            Mode::FailNew => Err("refusing to start: mode is fail-new".into()),
            Mode::PanicNew => panic!("panicking on purpose in the constructor"),
            _ => Ok(TestKit {
                settings,
                packets: 0,
                seen: Vec::new(),
                ticks: Vec::new(),
                shutdowns: 0,
            }),
        }
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        if self.settings.mode == Mode::Panic && self.packets + 1 == self.settings.panic_at {
            panic!("panicking on purpose at packet {}", self.settings.panic_at);
        }
        self.packets += 1;
        if self.seen.len() < 100_000 {
            self.seen.push(packet.ts_ns());
        }
        if self.settings.mode == Mode::StopEveryOther && self.packets % 2 == 0 {
            Ok(Verdict::Stop)
        } else if self.settings.mode == Mode::End && self.packets == self.settings.end_at {
            Ok(Verdict::End)
        } else {
            Ok(Verdict::Continue)
        }
    }

    fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
        self.ticks.push(now_ns);
        Ok(())
    }

    fn report(&mut self) -> Result<String, String> {
        Ok(json!({
            "packets": self.packets,
            "seen": self.seen,
            "ticks": self.ticks,
            "shutdowns": self.shutdowns,
        })
        .to_string())
    }

    fn shutdown(&mut self) -> Result<(), String> {
        self.shutdowns += 1;
        Ok(())
    }
}

impl Drop for TestKit {
    fn drop(&mut self) {
        if self.settings.mode == Mode::PanicDrop {
            panic!("panicking on purpose when dropped");
        }
    }
}

plugin_api::export_plugin! {
    plugin: TestKit,
    name: "testkit",
    description: "test plugin: record, stop-every-other, end, panic, panic-drop, fail-new or panic-new",
}
