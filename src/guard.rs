//! The panic guard: a bug in one document's handling (ours or a library's) becomes
//! that document's error, not the end of the worker, the dispatcher or the command.
//!
//! Shared code that belongs to no stage: the wiring guards each document, the sinks
//! each delivery, and the email source guards mail-parser, whose debug build has
//! `debug_assert!`s that fire on some damaged multiparts. The default panic hook still
//! logs the panic where it happened.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; a panic comes back as `Err` with the panic's message.
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

#[cfg(test)]
mod tests {
    use super::guard;

    #[test]
    fn a_value_passes_through() {
        assert_eq!(guard(|| 7), Ok(7));
    }

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(
            guard(|| -> u8 { panic!("plain") }),
            Err("plain".to_string())
        );
        let n = 3;
        assert_eq!(
            guard(|| -> u8 { panic!("formatted {n}") }),
            Err("formatted 3".to_string())
        );
        assert_eq!(
            guard(|| -> u8 { std::panic::panic_any(42u32) }),
            Err("unknown panic".to_string())
        );
        // A debug assertion, the kind mail-parser's debug build trips on.
        let r = guard(|| {
            #[allow(clippy::assertions_on_constants)]
            {
                debug_assert!(false, "a debug assertion");
            }
            1
        });
        if cfg!(debug_assertions) {
            assert_eq!(r, Err("a debug assertion".to_string()));
        } else {
            assert_eq!(r, Ok(1));
        }
    }
}
