//! The plain transports: a connection used as it is, sync ([`SyncTransport`], sending
//! pre-packed bytes) or async ([`AsyncTransport`], sending `redis::Cmd`s), for calls
//! ([`Transport`]) and for ordinary commands ([`Commands`]); and [`block_on`], which
//! drives the one async flow for sync connections.

use std::future::Future;

use redis::{Cmd, RedisResult, Value};

use crate::call::Call;
use crate::slot;
use crate::transport::{Commands, Sent, Step, Transport};

/// A sync connection as a [`Transport`]: sends pre-packed bytes.
pub(crate) struct SyncTransport<'c, C: ?Sized> {
    con: &'c mut C,
    /// On a cluster connection (the answer of `connection::Kind::is_cluster`).
    cluster: bool,
}

impl<'c, C: redis::ConnectionLike + ?Sized> SyncTransport<'c, C> {
    /// `con`; `cluster` as `connection::Kind::is_cluster` answered for it.
    pub(crate) fn new(con: &'c mut C, cluster: bool) -> Self {
        Self { con, cluster }
    }
}

impl<C: redis::ConnectionLike + ?Sized> Transport for SyncTransport<'_, C> {
    const MAY_WAIT: bool = false;

    fn send<T, E>(
        &mut self,
        step: Step,
        call: &Call<T, E>,
    ) -> impl Future<Output = RedisResult<Sent>> {
        // The reply is there when `send` returns: a ready future, no state machine.
        std::future::ready(self.send_now(step, call))
    }
}

impl<C: redis::ConnectionLike + ?Sized> SyncTransport<'_, C> {
    fn send_now<T, E>(&mut self, step: Step, call: &Call<T, E>) -> RedisResult<Sent> {
        match step {
            Step::Call => self.con.req_packed_command(call.packed()).map(Sent::call),
            Step::CallWithBody => self
                .con
                .req_packed_command(&call.packed_eval())
                .map(Sent::call),
            Step::LoadAndCall if self.cluster => {
                // redis routes the pipeline by its first command: see `slot` for the probe.
                let mut replies =
                    self.con
                        .req_packed_commands(&slot::packed_probe_load_and_call(call), 0, 3)?;
                replies.remove(0);
                Sent::of_pipeline(replies, true)
            }
            Step::LoadAndCall => {
                let replies = self
                    .con
                    .req_packed_commands(&call.packed_load_and_call(), 0, 2)?;
                Sent::of_pipeline(replies, true)
            }
        }
    }
}

impl<C: redis::ConnectionLike + ?Sized> Commands for SyncTransport<'_, C> {
    fn is_cluster(&self) -> bool {
        self.cluster
    }

    async fn one(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        self.con.req_packed_command(&cmd.get_packed_command())
    }

    async fn all(&mut self, pipe: &redis::Pipeline, count: usize) -> RedisResult<Vec<Value>> {
        self.con
            .req_packed_commands(&pipe.get_packed_pipeline(), 0, count)
    }
}

/// An async connection as a [`Transport`]: builds `redis::Cmd`s.
#[cfg(feature = "aio")]
pub(crate) struct AsyncTransport<'c, C: ?Sized> {
    con: &'c mut C,
    /// On a cluster connection (the answer of `connection::Kind::is_cluster`).
    cluster: bool,
}

#[cfg(feature = "aio")]
impl<'c, C: redis::aio::ConnectionLike + ?Sized> AsyncTransport<'c, C> {
    /// `con`; `cluster` as `connection::Kind::is_cluster` answered for it.
    pub(crate) fn new(con: &'c mut C, cluster: bool) -> Self {
        Self { con, cluster }
    }
}

/// What an [`AsyncTransport`] sends for a step, built before the future so that the
/// future holds no borrow of the call.
#[cfg(feature = "aio")]
enum Request {
    One(Cmd),
    LoadAndCall(redis::Pipeline),
}

#[cfg(feature = "aio")]
impl<C: redis::aio::ConnectionLike + ?Sized> Transport for AsyncTransport<'_, C> {
    const MAY_WAIT: bool = true;

    fn send<T, E>(
        &mut self,
        step: Step,
        call: &Call<T, E>,
    ) -> impl Future<Output = RedisResult<Sent>> {
        // An async cluster connection routes a pipeline by its first command with a key,
        // so the load goes to the call's node without a probe.
        let request = match step {
            Step::Call | Step::CallWithBody => Request::One(step.call_cmd(call)),
            Step::LoadAndCall => {
                let mut pipe = redis::pipe();
                pipe.add_command(crate::call::load_cmd(call.script()));
                pipe.add_command(step.call_cmd(call));
                Request::LoadAndCall(pipe)
            }
        };
        async move {
            match request {
                Request::One(cmd) => self.con.req_packed_command(&cmd).await.map(Sent::call),
                Request::LoadAndCall(pipe) => {
                    let replies = self.con.req_packed_commands(&pipe, 0, 2).await?;
                    Sent::of_pipeline(replies, true)
                }
            }
        }
    }
}

#[cfg(feature = "aio")]
impl<C: redis::aio::ConnectionLike + ?Sized> Commands for AsyncTransport<'_, C> {
    fn is_cluster(&self) -> bool {
        self.cluster
    }

    async fn one(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        self.con.req_packed_command(cmd).await
    }

    async fn all(&mut self, pipe: &redis::Pipeline, count: usize) -> RedisResult<Vec<Value>> {
        self.con.req_packed_commands(pipe, 0, count).await
    }
}

/// Drives a future to completion on this thread, parking while it is pending. Used for
/// sync connections, whose transport futures are ready at once and which never wait for
/// another caller's load (`Transport::MAY_WAIT`), so it does not park in practice.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::{self, Thread};

    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    thread_local! {
        static WAKER: Waker = Waker::from(Arc::new(Unpark(thread::current())));
    }

    let mut future = pin!(future);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            thread::park();
        }
    })
}
