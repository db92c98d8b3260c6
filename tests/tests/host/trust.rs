//! Plugin files the host does not trust (writable by others, owned by another user, in a directory others can write to): refused with one line, or loaded with a warning under `--insecure-plugins`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::util::{plugin, run_host, Output, TempDir};

/// A copy of the count plugin, mode 0755, in `dir/sub` (mode `sub_mode`);
/// `dir` itself is made 0755.
fn plugin_copy(dir: &TempDir, sub: &str, sub_mode: u32) -> PathBuf {
    set_mode(&dir.path, 0o755);
    let folder = dir.path.join(sub);
    std::fs::create_dir_all(&folder).expect("plugin folder");
    set_mode(&folder, sub_mode);
    let lib = folder.join("libtrust_count.so");
    std::fs::copy(plugin("netraf_count"), &lib).expect("copy the plugin");
    set_mode(&lib, 0o755);
    lib
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A config naming `lib` as its one plugin, `count`.
fn config_for(dir: &TempDir, lib: &Path) -> PathBuf {
    dir.write(
        "trust.toml",
        &format!(
            "[[plugin]]\nname = \"count\"\npath = \"{}\"\n",
            lib.display()
        ),
    )
}

/// `--check-config` on a config naming `lib`: refused; returns the line
/// that says why, after checking its start (the config's file and line, then
/// the library's path).
fn refusal(dir: &TempDir, lib: &Path) -> String {
    let config = config_for(dir, lib);
    let out = run_host(
        &dir.path,
        &["--config", config.to_str().unwrap(), "--check-config"],
    );
    assert_eq!(out.code, Some(2), "{out}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("cannot load plugin"))
        .unwrap_or_else(|| panic!("no refusal: {out}"));
    let start = format!(
        "cannot load plugin: {}:3: plugin 'count': {}: ",
        config.display(),
        lib.display()
    );
    assert!(line.contains(&start), "want {start:?} in {line:?}");
    line.to_string()
}

/// `--list-plugins --config` on a config naming `lib` (with `extra` args).
fn list(dir: &TempDir, lib: &Path, extra: &[&str]) -> Output {
    let config = config_for(dir, lib);
    let mut args = vec!["--config", config.to_str().unwrap(), "--list-plugins"];
    args.extend_from_slice(extra);
    run_host(&dir.path, &args)
}

fn listed(out: &Output, lib: &Path) -> bool {
    out.stdout
        .lines()
        .any(|l| l.starts_with("count ") && l.contains(lib.to_str().unwrap()))
}

#[test]
fn a_plugin_in_a_safe_place_loads() {
    let dir = TempDir::new("trust-ok");
    let lib = plugin_copy(&dir, "lib", 0o755);
    let out = list(&dir, &lib, &[]);
    assert!(out.ok(), "{out}");
    assert!(listed(&out, &lib), "{out}");
    assert!(!out.stderr.contains("WARN"), "{out}");
}

#[test]
fn a_group_writable_plugin_is_refused() {
    let dir = TempDir::new("trust-g");
    let lib = plugin_copy(&dir, "lib", 0o755);
    set_mode(&lib, 0o775);
    let line = refusal(&dir, &lib);
    let want = format!(
        "{}: writable by group: chmod g-w {}",
        lib.display(),
        lib.display()
    );
    assert!(
        line.ends_with(&want),
        "want {want:?} at the end of {line:?}"
    );
}

#[test]
fn a_plugin_writable_by_others_is_refused_by_list_plugins_too() {
    let dir = TempDir::new("trust-o");
    let lib = plugin_copy(&dir, "lib", 0o755);
    set_mode(&lib, 0o757);
    let line = refusal(&dir, &lib);
    let want = format!(
        "{}: writable by others: chmod o-w {}",
        lib.display(),
        lib.display()
    );
    assert!(
        line.ends_with(&want),
        "want {want:?} at the end of {line:?}"
    );
    let out = list(&dir, &lib, &[]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains(&want), "{out}");
    assert!(!listed(&out, &lib), "{out}");
}

#[test]
fn a_plugin_in_a_directory_anyone_may_write_to_is_refused() {
    let dir = TempDir::new("trust-dir");
    let lib = plugin_copy(&dir, "open", 0o777);
    let open = lib.parent().unwrap().canonicalize().unwrap();
    let line = refusal(&dir, &lib);
    let want = format!(
        "{}: its directory {} is writable by group and others without the sticky bit: \
         chmod go-w {}",
        lib.display(),
        open.display(),
        open.display()
    );
    assert!(
        line.ends_with(&want),
        "want {want:?} at the end of {line:?}"
    );
    // With the sticky bit, as /tmp, nobody else can replace the file.
    set_mode(lib.parent().unwrap(), 0o1777);
    let out = list(&dir, &lib, &[]);
    assert!(out.ok() && listed(&out, &lib), "{out}");
}

#[test]
fn a_plugin_owned_by_another_user_is_refused() {
    let dir = TempDir::new("trust-owner");
    let lib = plugin_copy(&dir, "lib", 0o755);
    // Giving a file away needs root: a file we make is then root's.
    if std::fs::metadata(&lib).expect("stat the copy").uid() != 0 {
        netraf_tests::skip_or_fail(
            "a_plugin_owned_by_another_user_is_refused",
            "not running as root",
        );
        return;
    }
    std::os::unix::fs::chown(&lib, Some(65534), Some(65534)).expect("chown nobody");
    let line = refusal(&dir, &lib);
    let start = format!("{}: owned by uid 65534", lib.display());
    let end = format!(
        "not by root or the user running netraf-host (uid 0): chown root {}",
        lib.display()
    );
    assert!(
        line.contains(&start) && line.ends_with(&end),
        "want {start:?} ... {end:?} in {line:?}"
    );
}

#[test]
fn insecure_plugins_loads_them_with_a_warning() {
    let dir = TempDir::new("trust-insecure");
    let lib = plugin_copy(&dir, "lib", 0o755);
    set_mode(&lib, 0o777);
    let out = list(&dir, &lib, &["--insecure-plugins"]);
    assert!(out.ok(), "{out}");
    assert!(listed(&out, &lib), "{out}");
    let want = format!(
        "{}: loading it although it is not safe (--insecure-plugins): writable by group and \
         others: chmod go-w {}",
        lib.display(),
        lib.display()
    );
    let warning = out
        .stderr
        .lines()
        .find(|l| l.contains("WARN"))
        .unwrap_or_else(|| panic!("no warning: {out}"));
    assert!(warning.ends_with(&want), "want {want:?} in {warning:?}");
}

#[test]
fn a_link_is_judged_by_the_file_and_directories_it_leads_to() {
    let dir = TempDir::new("trust-link");
    let lib = plugin_copy(&dir, "lib", 0o755);
    let open = dir.path.join("open");
    std::fs::create_dir(&open).expect("open folder");
    set_mode(&open, 0o777);
    let link = open.join("libtrust_link.so");
    std::os::unix::fs::symlink(&lib, &link).expect("symlink");
    let out = list(&dir, &link, &[]);
    assert!(out.ok() && listed(&out, &link), "{out}");
}

#[test]
fn list_plugins_says_why_an_unsafe_library_in_the_plugin_dir_is_not_listed() {
    let dir = TempDir::new("trust-listdir");
    let lib = plugin_copy(&dir, "plugins", 0o755);
    set_mode(&lib, 0o775);
    let plugins = lib.parent().unwrap().to_str().unwrap();
    let out = run_host(&dir.path, &["--list-plugins", "--plugin-dir", plugins]);
    assert!(out.ok(), "{out}");
    assert!(!listed(&out, &lib), "{out}");
    let want = format!(
        "not listing {}: writable by group: chmod g-w {}",
        lib.display(),
        lib.display()
    );
    assert!(out.stderr.contains(&want), "want {want:?} in {out}");
}
