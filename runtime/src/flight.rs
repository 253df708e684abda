//! Single flight for `SCRIPT LOAD`: when many callers of one script meet `NOSCRIPT` at
//! once, one of them loads it and the others wait for that load and then only retry.
//!
//! Each script has its own [`Flight`]. A caller remembers the load generation it saw
//! *before* sending `EVALSHA`; if a load finished after that, its `NOSCRIPT` may be stale
//! and a plain retry suffices. The state does not know which server a connection talks
//! to: a caller on another server whose retry meets `NOSCRIPT` again waits once more, now
//! behind the first loader of its own server, so each server still gets one load.
//!
//! No lock is held while a load is on the wire; the flight only records that a load is in
//! progress, and the record is cleared when the loader finishes, fails or is dropped
//! (cancelled), so nothing can poison later calls. Waiting is:
//!
//! - **bounded**: an async caller waits at most [`WAIT_BOUND`] for another caller's load
//!   (which may be to another server, and may never return). When that passes, it retries
//!   the call once (the load may have been to its server, with only the reply slow: then
//!   the retry runs and nothing more is loaded); if that meets `NOSCRIPT`, the first such
//!   waiter takes the load over (a new *epoch*: the stuck loader no longer counts) and the
//!   others wait for it instead, so a stuck load still costs one load per server, not one
//!   per caller. `invoke` waits at most `MAX_WAITS + 1` times per call, so a cold call
//!   waits at most 4 s in all for other callers' loads;
//! - **async only**: a sync caller never waits for anyone (it could be blocking the very
//!   thread an async loader needs, as in a single-threaded runtime); it loads for itself
//!   when another load is in progress. A sync connection serves one caller at a time, so
//!   there is no herd to collapse there.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::timer;

/// The longest an async caller waits at a time for another caller's load. Measured: under
/// two CPU burners on 2 cores, a herd of 1,000 tasks' load took over 500 ms now and then.
pub(crate) const WAIT_BOUND: Duration = Duration::from_millis(1000);

/// Per-script load state.
pub(crate) struct Flight {
    /// Number of loads completed so far.
    generation: AtomicU64,
    state: Mutex<State>,
}

struct State {
    /// A caller is loading the script right now.
    loading: bool,
    /// Counts loaders; a loader whose load was taken over no longer clears `loading`.
    epoch: u64,
    /// Callers waiting for that load to end.
    waiters: Vec<Waker>,
}

impl Flight {
    pub(crate) const fn new() -> Self {
        Self {
            generation: AtomicU64::new(0),
            state: Mutex::new(State {
                loading: false,
                epoch: 0,
                waiters: Vec::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two plain fields updated in one step: a panic elsewhere cannot
        // leave it inconsistent, so a poisoned lock is used as is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current load generation; read before sending the call.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Becomes the loader, unless another caller is loading, or a load completed since the
    /// caller read the generation `seen` (checked under the lock: a loader records its load
    /// before it lets go, so a caller can never miss a load that just finished and load
    /// again).
    pub(crate) fn begin(&self, seen: u64) -> Begin<'_> {
        let mut state = self.state();
        if self.generation() != seen {
            return Begin::Stale;
        }
        if state.loading {
            return Begin::Busy;
        }
        Begin::Loader(self.own(&mut state))
    }

    /// After a wait on `epoch` timed out: takes the load over from that stuck loader,
    /// unless another waiter already did or a load completed since `seen` (`None`: the
    /// caller retries or waits).
    pub(crate) fn take_over(&self, epoch: u64, seen: u64) -> Option<Loading<'_>> {
        let mut state = self.state();
        if state.epoch != epoch || self.generation() != seen {
            return None;
        }
        Some(self.own(&mut state))
    }

    fn own(&self, state: &mut State) -> Loading<'_> {
        state.loading = true;
        state.epoch += 1;
        Loading {
            flight: self,
            epoch: Some(state.epoch),
        }
    }

    /// A load outside the flight (the caller could not or would not wait): recorded as a
    /// generation when it succeeds, nothing else.
    pub(crate) fn untracked(&self) -> Loading<'_> {
        Loading {
            flight: self,
            epoch: None,
        }
    }

    /// Waits until the load in progress ends (or none is in progress, or the generation
    /// moved past `seen`), at most `bound`.
    pub(crate) fn wait(&self, seen: u64, bound: Duration) -> Wait<'_> {
        Wait {
            flight: self,
            seen,
            epoch: self.state().epoch,
            deadline: Instant::now() + bound,
        }
    }
}

/// What [`Flight::begin`] found.
pub(crate) enum Begin<'f> {
    /// The caller is now the loader.
    Loader(Loading<'f>),
    /// Another caller is loading.
    Busy,
    /// A load completed after the caller's generation: retry instead.
    Stale,
}

/// How a [`Flight::wait`] ended.
pub(crate) enum Waited {
    /// The load ended (or was taken over, or the generation moved).
    Ended,
    /// The bound passed while the loader of `epoch` was still loading.
    TimedOut {
        /// The stuck loader's epoch, for [`Flight::take_over`].
        epoch: u64,
    },
}

/// The right (or, [`Flight::untracked`], the fact) of loading; ends the load when dropped.
pub(crate) struct Loading<'f> {
    flight: &'f Flight,
    /// The loader's epoch; `None` for an untracked load.
    epoch: Option<u64>,
}

impl Loading<'_> {
    /// Records a completed load.
    pub(crate) fn loaded(&self) {
        self.flight.generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        let Some(epoch) = self.epoch else { return };
        let waiters = {
            let mut state = self.flight.state();
            if state.epoch != epoch {
                // Taken over: the new loader ends the load.
                return;
            }
            state.loading = false;
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }
}

/// The future of [`Flight::wait`].
pub(crate) struct Wait<'f> {
    flight: &'f Flight,
    seen: u64,
    epoch: u64,
    deadline: Instant,
}

impl Future for Wait<'_> {
    type Output = Waited;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Waited> {
        let mut state = self.flight.state();
        if !state.loading || state.epoch != self.epoch || self.flight.generation() != self.seen {
            return Poll::Ready(Waited::Ended);
        }
        if Instant::now() >= self.deadline {
            return Poll::Ready(Waited::TimedOut { epoch: self.epoch });
        }
        if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            state.waiters.push(cx.waker().clone());
        }
        drop(state);
        timer::wake_at(self.deadline, cx.waker());
        Poll::Pending
    }
}
