//! [`Batch`]: one future, awaited by many callers ([`Wait`]), driven by whichever of them
//! polls it, and finished even when the caller driving it is dropped.
//!
//! Like `futures::future::Shared`, without its one cost that shows here: `Shared` wakes
//! every registered waker on completion, the polling task's own included, so a lone caller
//! was woken twice per call (a second run of its task, often on the other worker thread:
//! 1.6 context switches more per call, measured with `perf stat`). Here one caller drives
//! the future and is woken by it; the others wait without polling it and are woken by the
//! driver when it completes; a driver that is dropped hands over by waking them, and the
//! first of them to run drives from then on.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// The future a batch runs.
pub(super) type Job<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A future shared by the callers of one batch; clones share it.
pub(super) struct Batch<T>(Arc<Mutex<Slot<T>>>);

impl<T> Clone for Batch<T> {
    fn clone(&self) -> Self {
        Batch(self.0.clone())
    }
}

struct Slot<T> {
    /// The future, while nobody is polling it and it has not finished.
    job: Option<Job<T>>,
    /// What it finished with.
    done: Option<T>,
    /// Callers waiting while another drives the future.
    waiters: Vec<Waker>,
    /// A caller drives the future: it polled it last, and the future will wake it.
    driven: bool,
}

impl<T: Clone> Batch<T> {
    /// A batch that runs `job` once polled.
    pub(super) fn new(job: Job<T>) -> Self {
        Batch(Arc::new(Mutex::new(Slot {
            job: Some(job),
            done: None,
            waiters: Vec::new(),
            driven: false,
        })))
    }

    /// A batch without a future of its own, for a call its caller sends itself: done when
    /// [`finish`](Self::finish) says so, and until then callers that wait for it are
    /// woken by that.
    pub(super) fn later() -> Self {
        Batch(Arc::new(Mutex::new(Slot {
            job: None,
            done: None,
            waiters: Vec::new(),
            driven: true,
        })))
    }

    /// Finishes a batch made by [`later`](Self::later) with `value` (once: later calls do
    /// nothing) and wakes its waiters.
    pub(super) fn finish(&self, value: T) {
        let mut slot = self.lock();
        if slot.done.is_some() {
            return;
        }
        slot.done = Some(value);
        slot.driven = false;
        let waiters = std::mem::take(&mut slot.waiters);
        drop(slot);
        waiters.into_iter().for_each(Waker::wake);
    }

    /// What it finished with, if it has.
    pub(super) fn peek(&self) -> Option<T> {
        self.lock().done.clone()
    }

    /// True once the future has finished.
    pub(super) fn is_done(&self) -> bool {
        self.lock().done.is_some()
    }

    /// A future for one caller: the batch's output.
    pub(super) fn wait(&self) -> Wait<T> {
        Wait {
            batch: self.clone(),
            driving: false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A future that is pending once, waking its task at once: the task goes to the back of
/// its runtime's queue, so the tasks ready to run before it run first (any runtime:
/// nothing but the waker is used).
#[derive(Default)]
pub(super) struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// One caller's wait for a [`Batch`].
pub(super) struct Wait<T: Clone> {
    batch: Batch<T>,
    /// This caller polled the future last and it was pending: the future will wake this
    /// caller, and no one else.
    driving: bool,
}

impl<T: Clone> Future for Wait<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let mut slot = this.batch.lock();
        if let Some(done) = &slot.done {
            return Poll::Ready(done.clone());
        }
        let job = match slot.job.take() {
            // Nobody drives the future, or this caller does: poll it.
            Some(job) if this.driving || !slot.driven => job,
            // Another caller drives it (or is polling it right now): it will wake us.
            job => {
                slot.job = job;
                slot.waiters.push(cx.waker().clone());
                return Poll::Pending;
            }
        };
        slot.driven = true;
        this.driving = true;
        drop(slot);
        let mut job = job;
        let polled = job.as_mut().poll(cx);
        let mut slot = this.batch.lock();
        match polled {
            Poll::Ready(done) => {
                slot.done = Some(done.clone());
                slot.driven = false;
                let waiters = std::mem::take(&mut slot.waiters);
                drop(slot);
                this.driving = false;
                waiters.into_iter().for_each(Waker::wake);
                Poll::Ready(done)
            }
            Poll::Pending => {
                slot.job = Some(job);
                Poll::Pending
            }
        }
    }
}

impl<T: Clone> Drop for Wait<T> {
    fn drop(&mut self) {
        if !self.driving {
            return;
        }
        // The future would wake only this caller: hand it over to the others.
        let mut slot = self.batch.lock();
        slot.driven = false;
        let waiters = std::mem::take(&mut slot.waiters);
        drop(slot);
        waiters.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::task::Wake;

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A job that finishes with 7 once `go` is set, waking the waker it saw last.
    fn job(go: Arc<AtomicBool>, seen: Arc<Mutex<Option<Waker>>>) -> Job<i32> {
        Box::pin(std::future::poll_fn(move |cx| {
            if go.load(Ordering::SeqCst) {
                return Poll::Ready(7);
            }
            *seen.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }))
    }

    fn poll(wait: &mut Wait<i32>, count: &Arc<Count>) -> Poll<i32> {
        let waker = Waker::from(count.clone());
        Pin::new(wait).poll(&mut Context::from_waker(&waker))
    }

    /// Two callers of `batch`, each with its counting waker, both polled once (pending).
    type Callers = ((Wait<i32>, Arc<Count>), (Wait<i32>, Arc<Count>));

    fn two_waiting(batch: &Batch<i32>) -> Callers {
        let (a, b) = (Arc::new(Count::default()), Arc::new(Count::default()));
        let (mut wa, mut wb) = (batch.wait(), batch.wait());
        assert!(poll(&mut wa, &a).is_pending());
        assert!(poll(&mut wb, &b).is_pending());
        ((wa, a), (wb, b))
    }

    /// A batch running [`job`], with its `go` flag and the waker the job saw last.
    fn gated() -> (Batch<i32>, Arc<AtomicBool>, Arc<Mutex<Option<Waker>>>) {
        let (go, seen) = (Arc::new(AtomicBool::new(false)), Arc::default());
        (Batch::new(job(go.clone(), Arc::clone(&seen))), go, seen)
    }

    #[test]
    fn the_driver_is_woken_once_by_the_job_and_the_others_by_the_driver() {
        let (batch, go, seen) = gated();
        let ((mut wa, a), (mut wb, b)) = two_waiting(&batch);
        go.store(true, Ordering::SeqCst);
        seen.lock().unwrap().take().unwrap().wake();
        assert_eq!(
            (a.0.load(Ordering::SeqCst), b.0.load(Ordering::SeqCst)),
            (1, 0)
        );
        assert_eq!(poll(&mut wa, &a), Poll::Ready(7));
        assert_eq!(
            (a.0.load(Ordering::SeqCst), b.0.load(Ordering::SeqCst)),
            (1, 1)
        );
        assert_eq!(poll(&mut wb, &b), Poll::Ready(7));
        assert!(batch.is_done());
    }

    #[test]
    fn a_later_batch_wakes_its_waiters_when_finished_once() {
        let batch = Batch::later();
        let ((mut wa, a), (mut wb, b)) = two_waiting(&batch);
        assert!(!batch.is_done());
        batch.finish(3);
        batch.finish(4);
        assert_eq!(
            (a.0.load(Ordering::SeqCst), b.0.load(Ordering::SeqCst)),
            (1, 1)
        );
        assert_eq!(poll(&mut wa, &a), Poll::Ready(3));
        assert_eq!(poll(&mut wb, &b), Poll::Ready(3), "the first finish stands");
        assert!(batch.is_done());
    }

    #[test]
    fn a_dropped_driver_hands_over_to_a_waiter() {
        let (batch, go, seen) = gated();
        let ((wa, _a), (mut wb, b)) = two_waiting(&batch);
        drop(wa);
        assert_eq!(
            b.0.load(Ordering::SeqCst),
            1,
            "the waiter is woken to take over"
        );
        assert!(poll(&mut wb, &b).is_pending());
        go.store(true, Ordering::SeqCst);
        seen.lock().unwrap().take().unwrap().wake();
        assert_eq!(
            b.0.load(Ordering::SeqCst),
            2,
            "the job now wakes the new driver"
        );
        assert_eq!(poll(&mut wb, &b), Poll::Ready(7));
    }

    #[test]
    fn yield_now_is_pending_once_and_wakes_its_task() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut yielding = YieldNow::default();
        assert!(Pin::new(&mut yielding).poll(&mut cx).is_pending());
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken at once");
        assert!(Pin::new(&mut yielding).poll(&mut cx).is_ready());
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
