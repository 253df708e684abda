//! Single flight for `SCRIPT LOAD`: when many callers of one script meet `NOSCRIPT` at
//! once, one of them loads it and the others wait for that load and then only retry.
//!
//! Each script has its own [`Flight`], so nothing is held across unrelated scripts. A
//! caller remembers the load generation it saw *before* sending `EVALSHA`; if a load
//! finished after that, its `NOSCRIPT` is already stale and a plain retry suffices. The
//! state does not know which server a connection talks to: a caller on another server
//! whose retry meets `NOSCRIPT` again waits once more, now behind the first loader of its
//! own server, so each server still gets one load. The waits are bounded (see `invoke`):
//! a caller never waits behind more than three loads before it loads for itself, and the
//! lock is held only while one `SCRIPT LOAD` + `EVALSHA` pipeline is on the wire.

use std::sync::atomic::{AtomicU64, Ordering};

use async_lock::{Mutex, MutexGuard};

/// Per-script load state.
pub(crate) struct Flight {
    /// Number of loads completed so far.
    generation: AtomicU64,
    /// Held while a load is on the wire.
    loading: Mutex<()>,
}

impl Flight {
    pub(crate) const fn new() -> Self {
        Self {
            generation: AtomicU64::new(0),
            loading: Mutex::new(()),
        }
    }

    /// The current load generation; read before sending the call.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Records a completed load.
    pub(crate) fn loaded(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Waits for the right to load, asynchronously.
    pub(crate) async fn lock(&self) -> MutexGuard<'_, ()> {
        self.loading.lock().await
    }
}
