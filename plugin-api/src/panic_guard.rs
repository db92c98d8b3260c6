//! The panic guard: nothing a plugin does unwinds across the boundary, and a caught panic is said once, by the host.

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use abi_stable::std_types::{RErr, ROk, RResult, RString};

/// Runs `f`, turning a panic into an error message so that it never unwinds
/// across the boundary (abi_stable would abort the process).
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> RResult<T, RString> {
    let depth = GUARDED.with(|d| d.replace(d.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|d| d.set(depth));
    match outcome {
        Ok(Ok(value)) => ROk(value),
        Ok(Err(message)) => RErr(message.into()),
        Err(payload) => {
            let message = format!("panicked in {what}: {}", panic_message(&*payload));
            drop_payload(payload);
            RErr(message.into())
        }
    }
}

thread_local! {
    /// How many [`guard`] calls this thread is inside.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// Makes the panic hook of the library it is compiled into (a plugin has
/// its own copy of std, hence its own hook) keep quiet about the panics that
/// [`guard`] is about to catch: the host logs each of them in one line, so
/// the default hook's message would only say it twice. Other panics, and
/// all of them when `RUST_BACKTRACE` is set, go to the previous hook as
/// before. [`construct`] calls it; it acts once.
pub fn quiet_guarded_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let guarded = GUARDED.try_with(Cell::get).unwrap_or(0) > 0;
            if !guarded || std::env::var_os("RUST_BACKTRACE").is_some() {
                previous(info);
            }
        }));
    });
}

/// Drops a caught panic's payload, whose own `Drop` may panic in turn: that
/// second panic is caught too and its payload leaked, so that nothing
/// unwinds out of [`guard`].
fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// The message of a caught panic's `payload` (what `panic!` was given as
/// text), or `(no message)`: for a plugin that catches the panics of its
/// own threads and says them, as [`guard`] does.
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_panics_and_errors_into_messages() {
        let ok = guard("t", || Ok::<_, String>(5));
        assert_eq!(ok, ROk(5));
        let err = guard("t", || Err::<u8, _>("bad".to_string()));
        assert_eq!(err, RErr(RString::from("bad")));
        let panicked = guard("on_packet", || -> Result<u8, String> {
            panic!("boom {}", 7)
        });
        assert_eq!(
            panicked,
            RErr(RString::from("panicked in on_packet: boom 7"))
        );
    }

    #[test]
    fn guard_contains_a_payload_that_panics_when_dropped() {
        struct PanicsOnDrop;
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("dropping the payload");
            }
        }
        let outcome = catch_unwind(|| {
            guard("report", || -> Result<u8, String> {
                std::panic::panic_any(PanicsOnDrop)
            })
        });
        assert_eq!(
            outcome.ok(),
            Some(RErr(RString::from("panicked in report: (no message)")))
        );
    }
}
