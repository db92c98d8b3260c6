//! Output files for plugins and the host: created or appended to, never through a symbolic link at their path.
//!
//! A log or report path in a folder that others can write to (such as
//! `/tmp`) is where another user can plant a symbolic link to a file of
//! yours: following it would overwrite or append to that file. These open
//! with `O_NOFOLLOW`, so a link at the final component is refused with an
//! error that says so; links in the folders above are followed as usual.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Creates `path` or truncates the file there.
///
/// # Errors
/// A symbolic link at `path` (refused), or the open failing; the message
/// names the path.
pub fn create(path: &Path) -> io::Result<File> {
    open(
        path,
        OpenOptions::new().write(true).create(true).truncate(true),
    )
}

/// Opens `path` for appending, creating it if missing.
///
/// # Errors
/// As [`create`].
pub fn append(path: &Path) -> io::Result<File> {
    open(path, OpenOptions::new().append(true).create(true))
}

/// Creates `path`, which must not exist yet (not even as a link).
///
/// # Errors
/// As [`create`], and `AlreadyExists` when something is at `path`.
pub fn create_new(path: &Path) -> io::Result<File> {
    open(path, OpenOptions::new().write(true).create_new(true))
}

/// Refuses a symbolic link at `path` (before writing there later).
///
/// # Errors
/// A symbolic link at `path`, named in the message.
pub fn refuse_link(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(is_a_link(path)),
        _ => Ok(()),
    }
}

fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    options
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if link && matches!(e.raw_os_error(), Some(libc::ELOOP | libc::EEXIST)) {
                is_a_link(path)
            } else {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
            }
        })
}

fn is_a_link(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "refusing to write {}: it is a symbolic link (netraf never writes an output \
             through a link; name the link's target instead)",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_link_at_the_path_is_refused_and_its_target_untouched() {
        let dir = std::env::temp_dir().join(format!("netraf-output-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let target = dir.join("precious");
        std::fs::write(&target, b"keep me").expect("write the target");
        let link = dir.join("out.log");
        std::os::unix::fs::symlink(&target, &link).expect("plant a link");
        for result in [create(&link), append(&link), create_new(&link)] {
            let e = result.expect_err("a link is refused");
            assert!(e.to_string().contains("is a symbolic link"), "{e}");
            assert!(e.to_string().contains("out.log"), "{e}");
        }
        assert!(refuse_link(&link).is_err());
        let mut text = String::new();
        File::open(&target)
            .and_then(|mut f| f.read_to_string(&mut text))
            .expect("read the target");
        assert_eq!(text, "keep me");
        // A plain path still works.
        let plain = dir.join("plain.log");
        create(&plain)
            .and_then(|mut f| f.write_all(b"a"))
            .expect("create");
        append(&plain)
            .and_then(|mut f| f.write_all(b"b"))
            .expect("append");
        assert_eq!(std::fs::read(&plain).expect("read"), b"ab");
        assert!(refuse_link(&plain).is_ok());
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
