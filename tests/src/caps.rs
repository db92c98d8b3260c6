//! Running code on a thread whose effective capabilities lack CAP_NET_RAW (capabilities are per thread on Linux).

use std::io;

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
const CAP_NET_RAW: u32 = 13;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Removes CAP_NET_RAW from the calling thread's effective set (it stays
/// permitted, so nothing else changes; the thread should end afterwards).
fn drop_net_raw_here() -> io::Result<()> {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget with a v3 header writes exactly two CapData, which `data` holds.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    data[0].effective &= !(1 << CAP_NET_RAW);
    // SAFETY: capset with a v3 header reads exactly two CapData from `data`;
    // pid 0 changes only the calling thread.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Runs `f` on a new thread that has dropped CAP_NET_RAW from its effective
/// set; the caller's thread keeps its capabilities.
///
/// # Errors
/// capget/capset failing.
///
/// # Panics
/// Re-raises a panic of `f`.
pub fn without_net_raw<R: Send>(f: impl FnOnce() -> R + Send) -> io::Result<R> {
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            drop_net_raw_here()?;
            Ok(f())
        });
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
