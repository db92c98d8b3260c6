//! Private copies of plugin libraries: a running host never sees a plugin file change on disk.
//!
//! The dynamic loader maps a library's file: a plugin author who overwrites
//! it in place (`cp new.so libnetraf_log.so`) changes the code under a
//! running host, which then crashes (`SIGBUS` past the new end of the file,
//! anything at all inside it). The loader also hands back the library it
//! already has for a path it opened before, so a changed file could never
//! be loaded again. So the host loads a copy instead: an anonymous,
//! sealed memory file (`memfd`) that nobody else can reach or change,
//! opened through `/proc/self/fd/N`. Each copy is a new library to the
//! loader, whatever its path was.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// `MFD_EXEC`: a memory file whose contents may be mapped executable, where
/// `vm.memfd_noexec` would otherwise refuse (Linux 6.3 and later).
const MFD_EXEC: libc::c_uint = 0x0010;

/// A sealed in-memory copy of a library file, kept open for as long as the
/// process lives: its descriptor number must never name another file, since
/// the loader recognizes libraries by the path it opened them under.
#[derive(Debug)]
pub struct LibraryCopy {
    fd: OwnedFd,
}

impl LibraryCopy {
    /// Copies the file that `source` has open (`name` names the copy in
    /// `/proc/PID/maps`, as `/memfd:netraf:NAME`).
    ///
    /// # Errors
    /// The kernel refusing a memory file, or reading `source` failing.
    pub fn of(source: &mut File, name: &str) -> io::Result<LibraryCopy> {
        let memfd_name: Vec<u8> = format!("netraf:{name}")
            .bytes()
            .filter(|b| *b != 0)
            .chain([0])
            .collect();
        let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
        let fd = match memfd_create(&memfd_name, flags | MFD_EXEC) {
            // Kernels before 6.3 do not know MFD_EXEC (and need none).
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => memfd_create(&memfd_name, flags)?,
            other => other?,
        };
        let mut copy = File::from(fd);
        // By read and write: io::copy may splice, and pages a splice still
        // holds make the write seal fail (EBUSY).
        let mut buffer = vec![0; 1 << 16];
        loop {
            match source.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => copy.write_all(&buffer[..n])?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // The seals keep anyone with access to /proc/PID/fd from changing
        // the copy; without them it is still private, so a refusal is only said.
        let seals =
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        // SAFETY: fcntl(F_ADD_SEALS) on a descriptor we own, with an int argument.
        if unsafe { libc::fcntl(copy.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            log::debug!(
                "cannot seal the copy of {name:?}: {}",
                io::Error::last_os_error()
            );
        }
        Ok(LibraryCopy { fd: copy.into() })
    }

    /// The path the loader opens the copy by.
    pub fn path(&self) -> PathBuf {
        Path::new("/proc/self/fd").join(self.fd.as_raw_fd().to_string())
    }

    /// Keeps the copy open until the process ends (libraries are never
    /// unloaded, and the descriptor number must stay taken).
    pub fn keep(self) {
        std::mem::forget(self.fd);
    }
}

fn memfd_create(name: &[u8], flags: libc::c_uint) -> io::Result<OwnedFd> {
    // SAFETY: `name` is NUL-terminated (built by the caller) and outlives the call.
    let fd = unsafe { libc::memfd_create(name.as_ptr().cast(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_keeps_its_contents_when_the_file_changes_and_cannot_be_written() {
        let dir = std::env::temp_dir().join(format!("netraf-copy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("libx.so");
        std::fs::write(&file, b"first contents").expect("write");
        let copy = LibraryCopy::of(&mut File::open(&file).expect("open"), "libx.so").expect("copy");
        std::fs::write(&file, b"second").expect("overwrite in place");
        let mut text = String::new();
        File::open(copy.path())
            .expect("open the copy")
            .read_to_string(&mut text)
            .expect("read the copy");
        assert_eq!(text, "first contents");
        let mut writable = std::fs::OpenOptions::new()
            .write(true)
            .open(copy.path())
            .expect("open for writing");
        assert!(writable.write_all(b"x").is_err(), "the copy is sealed");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
