//! netraf-host: captures with MYCAP and runs the handler plugins that a TOML config lists.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| {
            // Messages carry names from the input (interfaces, files, plugin
            // messages): one record is one line, with no control character raw.
            let style = buf.default_level_style(record.level());
            let message = record.args().to_string();
            // A status line on the terminal is cleared first (and redrawn
            // below at its next second).
            writeln!(
                buf,
                "{}[{style}{:<5}{style:#}] {}",
                netraf_host::status::line_prefix(),
                record.level(),
                plugin_api::escape(&message)
            )
        })
        .init();
    let cli = netraf_host::cli::Cli::parse();
    match netraf_host::app::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            netraf_host::status::clear();
            eprintln!("netraf-host: {}", plugin_api::escape(failure.message()));
            ExitCode::from(failure.exit_code())
        }
    }
}
