//! A tiny timer for bounded waits that does not choose the user's async runtime: one
//! thread, started on first use, that wakes each registered waker at its deadline. It
//! sleeps on a condition variable while nothing is due, so it costs nothing between loads.

use std::sync::{Condvar, Mutex, OnceLock};
use std::task::Waker;
use std::thread;
use std::time::Instant;

struct Timer {
    due: Mutex<Vec<(Instant, Waker)>>,
    changed: Condvar,
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            due: Mutex::new(Vec::new()),
            changed: Condvar::new(),
        }));
        thread::Builder::new()
            .name("evalsha-timer".into())
            .spawn(move || run(timer))
            .expect("spawn the evalsha timer thread");
        timer
    })
}

/// Wakes `waker` at `deadline` (or soon after).
pub(crate) fn wake_at(deadline: Instant, waker: &Waker) {
    let timer = timer();
    let mut due = timer.due.lock().unwrap_or_else(|e| e.into_inner());
    due.push((deadline, waker.clone()));
    drop(due);
    timer.changed.notify_one();
}

fn run(timer: &Timer) {
    loop {
        let mut due = timer.due.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let mut expired = Vec::new();
        due.retain(|(at, waker)| {
            let keep = *at > now;
            if !keep {
                expired.push(waker.clone());
            }
            keep
        });
        if expired.is_empty() {
            // Nothing due: sleep until the earliest deadline, or until one is added. The
            // lock is held from reading the deadlines to waiting, so none is missed.
            let next = due.iter().map(|(at, _)| *at).min();
            let _guard = match next {
                None => timer.changed.wait(due).unwrap_or_else(|e| e.into_inner()),
                Some(at) => {
                    timer
                        .changed
                        .wait_timeout(due, at.saturating_duration_since(now))
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            continue;
        }
        drop(due);
        for waker in expired {
            waker.wake();
        }
    }
}

/// Sleeps until `deadline` on the timer thread, whatever runtime (or `block_on`) polls it.
#[cfg(any(feature = "cluster", feature = "aio"))]
pub(crate) fn sleep_until(deadline: Instant) -> Sleep {
    Sleep { deadline }
}

/// The future of [`sleep_until`].
#[cfg(any(feature = "cluster", feature = "aio"))]
pub(crate) struct Sleep {
    deadline: Instant,
}

#[cfg(any(feature = "cluster", feature = "aio"))]
impl std::future::Future for Sleep {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if Instant::now() >= self.deadline {
            return std::task::Poll::Ready(());
        }
        wake_at(self.deadline, cx.waker());
        std::task::Poll::Pending
    }
}
