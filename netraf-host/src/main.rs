//! netraf-host: captures with MYCAP and runs the handler plugins that a TOML config lists.

fn main() {
    env_logger::init();
    log::error!("netraf-host is not built yet");
    std::process::exit(2);
}
