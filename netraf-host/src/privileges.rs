//! Giving up root once the capture is open, like `tcpdump -Z USER`: the user looked up, supplementary groups cleared, group and user switched for good, and the result checked.
//!
//! Opening a packet socket needs root (or `CAP_NET_RAW`); reading its ring
//! and running the plugins does not. So the host opens its sessions first,
//! then switches to the user the command line (`-Z USER`) or the config
//! (`[capture] user`) names, and only then constructs the plugins: their
//! output files are created as that user, as tcpdump creates its `-w` file
//! after `-Z`. The switch, in order:
//!
//! 1. the ambient capabilities are cleared (so that none survives below);
//! 2. `setgroups(0, NULL)`: no supplementary group is kept (root's groups
//!    would otherwise stay with the process);
//! 3. `setresgid(gid, gid, gid)`, then `setresuid(uid, uid, uid)`: real,
//!    effective and saved ids all change, so the kernel clears every
//!    capability and nothing can switch back;
//! 4. `PR_SET_NO_NEW_PRIVS`: no program the process might run could gain
//!    privileges again (through a setuid bit or file capabilities); the host
//!    itself never runs one;
//! 5. the check: the effective and permitted capabilities (`CapEff`, `CapPrm`
//!    in `/proc/self/status`) are empty, the ids are the user's, and
//!    `setuid(0)` fails.
//!
//! Any step that fails fails the run. The process has one thread here (the
//! capture workers start after the switch and inherit it); the C library
//! applies the id changes to every thread anyway.

use std::ffi::CString;
use std::io;

/// The user to switch to, looked up before the capture opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The name as given.
    pub name: String,
    /// Its user id.
    pub uid: libc::uid_t,
    /// Its primary group id.
    pub gid: libc::gid_t,
}

/// The largest buffer `getpwnam_r` is given for one entry of the user database.
const MAX_PASSWD_BUFFER: usize = 1 << 20;

impl User {
    /// Looks `name` up in the user database (`getpwnam_r`: `/etc/passwd`,
    /// or whatever NSS is configured with).
    ///
    /// # Errors
    /// One line: the user does not exist, or the database could not be read.
    pub fn lookup(name: &str) -> Result<User, String> {
        let fail = |why: String| format!("cannot switch to user '{name}': {why}");
        if name.is_empty() {
            return Err(fail("empty user name".into()));
        }
        let c_name = CString::new(name).map_err(|_| fail("the name holds a NUL byte".into()))?;
        let mut size = 1024;
        loop {
            let mut buffer = vec![0 as libc::c_char; size];
            // SAFETY: passwd is plain old data; an all-zero value is valid.
            let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            // SAFETY: every pointer is valid for the call: a NUL-terminated
            // name, an entry and a buffer of `size` bytes that we own, and
            // the out pointer; the entry's strings point into the buffer,
            // which outlives every use of them below.
            let rc = unsafe {
                libc::getpwnam_r(
                    c_name.as_ptr(),
                    &mut entry,
                    buffer.as_mut_ptr(),
                    buffer.len(),
                    &mut found,
                )
            };
            if rc == libc::ERANGE && size < MAX_PASSWD_BUFFER {
                size *= 4;
                continue;
            }
            if rc != 0 {
                return Err(fail(format!(
                    "cannot read the user database: {}",
                    io::Error::from_raw_os_error(rc)
                )));
            }
            if found.is_null() {
                return Err(fail("no such user".into()));
            }
            return Ok(User {
                name: name.to_string(),
                uid: entry.pw_uid,
                gid: entry.pw_gid,
            });
        }
    }

    /// Switches the process to this user for good (see the module's
    /// documentation for the steps), then checks that no privilege is left.
    ///
    /// # Errors
    /// One line naming the step that failed.
    pub fn switch(&self) -> Result<(), String> {
        let fail = |step: &str, e: io::Error| {
            let hint = if e.raw_os_error() == Some(libc::EPERM) {
                " (switching users needs root)"
            } else {
                ""
            };
            format!(
                "cannot switch to user '{}' (uid {}, gid {}): {step}: {e}{hint}",
                self.name, self.uid, self.gid
            )
        };
        clear_ambient_capabilities().map_err(|e| fail("clearing the ambient capabilities", e))?;
        // SAFETY: setgroups with a count of 0 reads nothing from the null list.
        check(unsafe { libc::setgroups(0, std::ptr::null()) })
            .map_err(|e| fail("setgroups(0, NULL)", e))?;
        // SAFETY: plain system call on ids, no memory involved.
        check(unsafe { libc::setresgid(self.gid, self.gid, self.gid) })
            .map_err(|e| fail("setresgid", e))?;
        // SAFETY: plain system call on ids, no memory involved.
        check(unsafe { libc::setresuid(self.uid, self.uid, self.uid) })
            .map_err(|e| fail("setresuid", e))?;
        // SAFETY: prctl with integer arguments only.
        check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })
            .map_err(|e| fail("prctl(PR_SET_NO_NEW_PRIVS)", e))?;
        self.verify().map_err(|why| {
            format!(
                "switched to user '{}' (uid {}, gid {}), but {why}",
                self.name, self.uid, self.gid
            )
        })?;
        log::info!(
            "running as user {} (uid {}, gid {}) without supplementary groups or capabilities",
            self.name,
            self.uid,
            self.gid
        );
        Ok(())
    }

    /// Checks the switch: the ids are this user's, no supplementary group,
    /// no effective or permitted capability, and `setuid(0)` fails.
    fn verify(&self) -> Result<(), String> {
        let (mut r, mut e, mut s) = (0, 0, 0);
        // SAFETY: getresuid writes one uid_t into each of three valid pointers.
        check(unsafe { libc::getresuid(&mut r, &mut e, &mut s) })
            .map_err(|err| format!("getresuid: {err}"))?;
        if [r, e, s] != [self.uid; 3] {
            return Err(format!("the user ids are {r}, {e}, {s}"));
        }
        // SAFETY: getresgid writes one gid_t into each of three valid pointers.
        check(unsafe { libc::getresgid(&mut r, &mut e, &mut s) })
            .map_err(|err| format!("getresgid: {err}"))?;
        if [r, e, s] != [self.gid; 3] {
            return Err(format!("the group ids are {r}, {e}, {s}"));
        }
        // SAFETY: a size of 0 asks for the count only; nothing is written.
        let groups = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
        if groups != 0 {
            return Err(format!("{groups} supplementary group(s) remain"));
        }
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|err| format!("cannot read /proc/self/status: {err}"))?;
        for key in ["CapEff", "CapPrm"] {
            let value = status_field(&status, key)
                .ok_or_else(|| format!("/proc/self/status has no {key}"))?;
            if u64::from_str_radix(value, 16).ok() != Some(0) {
                return Err(format!("capabilities remain ({key} {value})"));
            }
        }
        // SAFETY: plain system call on an id, no memory involved.
        if unsafe { libc::setuid(0) } == 0 {
            return Err("setuid(0) still succeeds".into());
        }
        Ok(())
    }
}

/// The value of `key` in a `/proc/PID/status` text.
fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        line.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

/// Clears the ambient capabilities; a kernel without them (before 4.3) has none to clear.
fn clear_ambient_capabilities() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let rc = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    match check(rc) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

/// A system call's `-1` as the error in `errno`.
fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Looks up the user to switch to, before the capture opens: `None` when
/// none is asked for, after saying once (info) that a capture by root goes
/// on as root.
///
/// # Errors
/// One line: the user does not exist (see [`User::lookup`]).
pub fn plan(user: Option<&str>) -> Result<Option<User>, String> {
    match user {
        Some(name) => User::lookup(name).map(Some),
        None => {
            // SAFETY: geteuid cannot fail and touches no memory.
            if unsafe { libc::geteuid() } == 0 {
                log::info!(
                    "capturing as root: -Z USER (or [capture] user) switches to USER once the \
                     capture is open, before the plugins start"
                );
            }
            Ok(None)
        }
    }
}

/// Switches to `user` if one was asked for (see [`User::switch`]).
///
/// # Errors
/// One line naming the step that failed.
pub fn switch(user: Option<&User>) -> Result<(), String> {
    user.map_or(Ok(()), User::switch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_and_a_made_up_user_is_not() {
        let root = User::lookup("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        let e = User::lookup("netraf-no-such-user").unwrap_err();
        assert_eq!(
            e,
            "cannot switch to user 'netraf-no-such-user': no such user"
        );
        assert!(User::lookup("").unwrap_err().contains("empty user name"));
        assert!(User::lookup("a\0b").unwrap_err().contains("NUL"));
    }

    #[test]
    fn status_fields_are_read_by_key() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assert_eq!(status_field(status, "CapEff"), Some("000001ffffffffff"));
        assert_eq!(status_field(status, "CapPrm"), None);
    }
}
