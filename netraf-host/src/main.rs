//! netraf-host: captures with MYCAP and runs the handler plugins that a TOML config lists.
#![deny(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .format_target(false)
        .init();
    let cli = netraf_host::cli::Cli::parse();
    match netraf_host::app::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("netraf-host: {}", failure.message());
            ExitCode::from(failure.exit_code())
        }
    }
}
