//! Which plugin files the host trusts to load: OpenSSH's StrictModes for plugin libraries, and the `--insecure-plugins` opt-out.
//!
//! A plugin runs with the host's rights (often root's), so whoever can
//! change the library, or put another file in its place, can run code as
//! the host. Before anything of a library is loaded, the host requires:
//!
//! - the file (checked through the descriptor the host copies it from, so
//!   the check and the load see the same file) to be owned by root or by the
//!   user running the host (its effective uid), and writable by neither its
//!   group nor others (`mode & 0o022 == 0`);
//! - its directory and every ancestor up to `/`, found on the real path
//!   (symlinks resolved by `canonicalize`), to be owned by root or by the
//!   user running the host, and writable by neither group nor others unless
//!   the sticky bit is set (so `/tmp`, `1777`, is fine: there nobody can
//!   rename or remove another user's entries). A directory owned by another
//!   user is refused whatever its mode, since its owner can always replace
//!   what is in it; so is a group-writable directory without the sticky bit,
//!   whoever owns it;
//! - the real path to still name the opened file once its directories are
//!   checked.
//!
//! Symlinks on the way are followed, not judged: whoever can change one can
//! only point it at another file, which must pass these checks itself.
//! `--insecure-plugins` ([`trust_every_plugin`]) loads refused files anyway,
//! with a warning for each.

use std::fs::Metadata;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by `--insecure-plugins`: refusals become warnings.
static INSECURE: AtomicBool = AtomicBool::new(false);

/// From now on, loads the plugin files the checks refuse, with a warning for
/// each (`--insecure-plugins`: for development only).
pub fn trust_every_plugin() {
    INSECURE.store(true, Ordering::Relaxed);
}

/// Checks the plugin library at `path` before anything of it is loaded;
/// `meta` is the `fstat` of the descriptor the host copies it from.
///
/// # Errors
/// One line: every problem found with the file and its directories, each
/// with the command that fixes it (`writable by group: chmod g-w PATH`).
/// Under `--insecure-plugins` the line is logged as a warning instead.
pub fn check(path: &Path, meta: &Metadata) -> Result<(), String> {
    let problems = problems(path, meta, effective_uid());
    if problems.is_empty() {
        return Ok(());
    }
    let reason = problems.join("; ");
    if INSECURE.load(Ordering::Relaxed) {
        log::warn!(
            "{}: loading it although it is not safe (--insecure-plugins): {reason}",
            path.display()
        );
        return Ok(());
    }
    Err(reason)
}

/// Everything wrong with the file at `path` and the directories it is in,
/// for a host running as `euid`.
fn problems(path: &Path, meta: &Metadata, euid: u32) -> Vec<String> {
    let shown = shell_word(&path.display().to_string());
    let mut problems = file_problems(&shown, meta.mode(), meta.uid(), euid);
    let real = match path.canonicalize() {
        Ok(real) => real,
        Err(e) => {
            problems.push(format!(
                "cannot resolve its real path to check its directories: {e}"
            ));
            return problems;
        }
    };
    for dir in real.ancestors().skip(1) {
        match std::fs::metadata(dir) {
            Ok(m) => problems.extend(dir_problems(
                &shell_word(&dir.display().to_string()),
                m.permissions().mode(),
                m.uid(),
                euid,
            )),
            Err(e) => problems.push(format!("cannot check its directory {}: {e}", dir.display())),
        }
    }
    match std::fs::metadata(&real) {
        Ok(m) if m.dev() == meta.dev() && m.ino() == meta.ino() => {}
        _ => problems.push(format!(
            "its real path {} no longer names the file that was opened (it was replaced \
             while being checked): load it again",
            real.display()
        )),
    }
    problems
}

/// The rule for the plugin file itself (`shown`: its path as a shell word),
/// with mode `mode` and owner `uid`, for a host running as `euid`.
fn file_problems(shown: &str, mode: u32, uid: u32, euid: u32) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(owner) = foreign_owner(uid, euid) {
        problems.push(format!("{owner}: chown root {shown}"));
    }
    if let Some((who, fix)) = writable(mode) {
        problems.push(format!("writable by {who}: chmod {fix} {shown}"));
    }
    problems
}

/// The rule for a directory the plugin file is in (`shown`: its real path as
/// a shell word), with mode `mode` and owner `uid`, for a host running as
/// `euid`.
fn dir_problems(shown: &str, mode: u32, uid: u32, euid: u32) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(owner) = foreign_owner(uid, euid) {
        problems.push(format!(
            "its directory {shown} is {owner}: chown root {shown}"
        ));
    }
    let sticky = mode & 0o1000 != 0;
    if let (Some((who, fix)), false) = (writable(mode), sticky) {
        problems.push(format!(
            "its directory {shown} is writable by {who} without the sticky bit: chmod {fix} {shown}"
        ));
    }
    problems
}

/// `owned by uid U (NAME), not by root or …` when `uid` is neither root nor `euid`.
fn foreign_owner(uid: u32, euid: u32) -> Option<String> {
    if uid == 0 || uid == euid {
        return None;
    }
    let name = user_name(uid).map_or_else(String::new, |n| format!(" ({n})"));
    Some(format!(
        "owned by uid {uid}{name}, not by root or the user running netraf-host (uid {euid})"
    ))
}

/// Who may write besides the owner, and the `chmod` mode that stops them.
fn writable(mode: u32) -> Option<(&'static str, &'static str)> {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => Some(("group and others", "go-w")),
        (true, false) => Some(("group", "g-w")),
        (false, true) => Some(("others", "o-w")),
        (false, false) => None,
    }
}

/// `text` as one shell word: as it is when only safe characters, else quoted.
fn shell_word(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The effective uid of the host.
#[allow(unsafe_code)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid takes nothing, touches no memory and cannot fail.
    unsafe { libc::geteuid() }
}

/// The user name of `uid`, when the password database has one.
#[allow(unsafe_code)]
fn user_name(uid: u32) -> Option<String> {
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value (null pointers, zeros);
    // getpwuid_r only writes it.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to memory we own, `buffer.len()` is its size;
    // on success `found` points at `entry`, whose strings point into `buffer`.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name is a NUL-terminated string inside `buffer`, alive here.
    let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_rule() {
        let p = "/x/libp.so";
        assert!(file_problems(p, 0o100755, 0, 0).is_empty());
        assert!(file_problems(p, 0o100644, 1000, 1000).is_empty());
        assert!(file_problems(p, 0o100755, 0, 1000).is_empty());
        assert_eq!(
            file_problems(p, 0o100775, 0, 0),
            ["writable by group: chmod g-w /x/libp.so"]
        );
        assert_eq!(
            file_problems(p, 0o100757, 0, 0),
            ["writable by others: chmod o-w /x/libp.so"]
        );
        assert_eq!(
            file_problems(p, 0o100777, 0, 0),
            ["writable by group and others: chmod go-w /x/libp.so"]
        );
        let owned = file_problems(p, 0o100755, 1000, 0);
        assert_eq!(owned.len(), 1);
        assert!(
            owned[0].starts_with("owned by uid 1000")
                && owned[0].contains("not by root or the user running netraf-host (uid 0")
                && owned[0].ends_with(": chown root /x/libp.so"),
            "{owned:?}"
        );
        assert_eq!(file_problems(p, 0o100775, 1000, 0).len(), 2);
    }

    #[test]
    fn directory_rule() {
        let d = "/x";
        assert!(dir_problems(d, 0o40755, 0, 0).is_empty());
        assert!(dir_problems(d, 0o40700, 1000, 1000).is_empty());
        // /tmp: writable by all, but sticky.
        assert!(dir_problems(d, 0o41777, 0, 1000).is_empty());
        assert!(dir_problems(d, 0o41775, 0, 0).is_empty());
        assert_eq!(
            dir_problems(d, 0o40777, 0, 0),
            [
                "its directory /x is writable by group and others without the sticky bit: \
              chmod go-w /x"
            ]
        );
        assert_eq!(
            dir_problems(d, 0o40775, 0, 0),
            ["its directory /x is writable by group without the sticky bit: chmod g-w /x"]
        );
        // Another user's directory, whatever its mode.
        let owned = dir_problems(d, 0o40755, 65534, 0);
        assert_eq!(owned.len(), 1);
        assert!(
            owned[0].starts_with("its directory /x is owned by uid 65534")
                && owned[0].ends_with(": chown root /x"),
            "{owned:?}"
        );
        assert_eq!(dir_problems(d, 0o41777, 65534, 0).len(), 1);
    }

    #[test]
    fn paths_are_shell_words() {
        assert_eq!(shell_word("/a/lib_x-1.so"), "/a/lib_x-1.so");
        assert_eq!(shell_word("/a b/it's.so"), r"'/a b/it'\''s.so'");
    }

    #[test]
    fn user_names() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
    }
}
