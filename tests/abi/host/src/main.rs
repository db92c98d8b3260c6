//! A minimal host of plugin-api, built once against the frozen 1.0 copy and once against the copy grown as 1.1: loads one plugin as netraf-host does, runs it over a capture file, prints its report.
//!
//! `abi-host PLUGIN.so TRACE.pcap`: prints `host plugin-api X.Y`, (1.1 only)
//! `flush: absent|ok`, and `report: JSON`; a refused plugin: its reason on
//! standard error and exit status 2.

use std::path::Path;
use std::process::ExitCode;

use abi_stable::library::lib_header_from_path;
use capture_file::{Never, Next, Reader};
use plugin_api::{Packet, PacketHeader, PluginMod_Ref, TickClock, ABI_VERSION};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, library, trace] = args.as_slice() else {
        eprintln!("usage: abi-host PLUGIN.so TRACE.pcap");
        return ExitCode::from(2);
    };
    println!("host plugin-api {ABI_VERSION}");
    let module = match lib_header_from_path(Path::new(library))
        .and_then(|header| header.init_root_module::<PluginMod_Ref>())
    {
        Ok(module) => module,
        Err(e) => {
            eprintln!("{library}: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(reason) = module.check_requires() {
        eprintln!("{library}: {reason}");
        return ExitCode::from(2);
    }
    let mut handler = match module.instantiate("") {
        Ok(handler) => handler,
        Err(e) => {
            eprintln!("{library}: {e}");
            return ExitCode::from(1);
        }
    };
    let mut reader = match Reader::open(Path::new(trace)) {
        Ok(reader) => reader,
        Err(e) => {
            eprintln!("{trace}: {e}");
            return ExitCode::from(1);
        }
    };
    let mut clock = TickClock::new();
    loop {
        match reader.next(&Never) {
            Ok(Next::Packet(record, data)) => {
                let header = PacketHeader::of_record(&record);
                if let Some(at) = clock.advance(header.ts_ns) {
                    if let Err(e) = handler.on_tick(at) {
                        eprintln!("on_tick: {e}");
                        return ExitCode::from(1);
                    }
                }
                if let Err(e) = handler.on_packet(&Packet::decode(&header, data)) {
                    eprintln!("on_packet: {e}");
                    return ExitCode::from(1);
                }
            }
            Ok(Next::Eof | Next::Ended) => break,
            Err(e) => {
                eprintln!("{trace}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    #[cfg(feature = "v1_1")]
    match handler.on_flush() {
        None => println!("flush: absent"),
        Some(Ok(())) => println!("flush: ok"),
        Some(Err(e)) => println!("flush: failed: {e}"),
    }
    if let Err(e) = handler.shutdown() {
        eprintln!("shutdown: {e}");
        return ExitCode::from(1);
    }
    match handler.report() {
        Ok(report) => println!("report: {report}"),
        Err(e) => {
            eprintln!("report: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
