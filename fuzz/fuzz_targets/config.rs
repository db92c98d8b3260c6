//! Fuzz target: the host's config parser on any text; never panics, and every line it names lies within the text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use netraf_host::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Lines as an editor numbers them: a last line without a newline counts,
    // and so does the empty line after a final newline.
    let lines = text.matches('\n').count() + 1;
    let file = Path::new("/etc/netraf/fuzz.toml");
    match Config::parse(file, &text, None) {
        Ok(config) => {
            assert_eq!(config.file, file);
            for plugin in &config.plugins {
                assert!(
                    (1..=lines).contains(&plugin.line),
                    "plugin '{}' at line {} of {lines}",
                    plugin.name,
                    plugin.line
                );
                for (key, line) in &plugin.config_lines {
                    assert!(
                        (1..=lines).contains(line),
                        "key `{key}` at line {line} of {lines}"
                    );
                    let refused = plugin.refused(&format!("key `{key}`: refused"));
                    assert!((1..=lines).contains(&refused.line), "{refused}");
                }
                let refused = plugin.refused("key `no.such.key`: refused");
                assert!((1..=lines).contains(&refused.line), "{refused}");
                let _ = plugin.refused("refused").to_string();
            }
        }
        Err(e) => {
            assert_eq!(e.file, file);
            assert!(e.line <= lines, "error at line {} of {lines}: {e}", e.line);
            let _ = e.to_string();
        }
    }
});
