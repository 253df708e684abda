//! `run_async` and the other async entry points (pipelines, and the bulk operations
//! `preload_async`, `loaded_async`, `functions::load_async`, `functions::prune_async`)
//! take any `redis::aio::ConnectionLike`, `Send` or not, `Sized` or not; their futures
//! are `Send` whenever the connection is.

use std::rc::Rc;

use evalsha::Pipeline;
use evalsha_testkit::{Server, requires};
use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};

evalsha::include_script!("tests/scripts/incr_by.lua");
evalsha::include_library!("tests/libraries/incr_by.lua");

/// A connection that is not `Send` (it holds an `Rc`), as a crate's own wrapper may be.
struct NotSend {
    inner: MultiplexedConnection,
    _rc: Rc<()>,
}

impl ConnectionLike for NotSend {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        self.inner.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        self.inner.req_packed_commands(pipeline, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

/// A library function generic over any async connection, with no `Send` bound: every
/// async entry point of evalsha must accept it. Returns the counter after five additions.
async fn generic_calls<T: ConnectionLike + ?Sized>(con: &mut T, key: &str) -> i64 {
    evalsha::preload_async(con, &[IncrBy::script()])
        .await
        .unwrap();
    assert_eq!(
        evalsha::loaded_async(con, &[IncrBy::script()])
            .await
            .unwrap(),
        [true]
    );
    IncrBy.run_async(con, key, 1).await.unwrap();
    IncrBy.call(key, 1).run_async(con).await.unwrap();
    let (n,): (i64,) = Pipeline::new()
        .script(IncrBy.call(key, 1))
        .query_async(con)
        .await
        .unwrap();
    assert!(n >= 3);
    let each = Pipeline::new()
        .script(IncrBy.call(key, 1))
        .query_each_async(con)
        .await
        .unwrap();
    assert_eq!(each.len(), 1);
    IncrBy.run_async(con, key, 1).await.unwrap()
}

/// The Redis Functions side of [`generic_calls`], with no `Send` bound either: load the
/// library, prune other versions of it, call its function. Returns the counter.
async fn generic_library_calls<T: ConnectionLike + ?Sized>(con: &mut T, key: &str) -> i64 {
    evalsha::functions::load_async(con, &[Evincr::library()])
        .await
        .unwrap();
    let pruned = evalsha::functions::prune_async(con, &[Evincr::library()])
        .await
        .unwrap();
    assert!(pruned.is_empty(), "{pruned:?}");
    Evincr.incr_by_async(con, key, 1).await.unwrap()
}

fn flush(server: &Server) {
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .exec(&mut server.connection())
        .unwrap();
}

#[tokio::test]
async fn a_connection_that_is_not_send_runs_scripts() {
    let server = Server::start();
    let mut con = NotSend {
        inner: server.multiplexed().await,
        _rc: Rc::new(()),
    };
    assert_eq!(generic_calls(&mut con, "not-send").await, 5);
    // Cold path too: the flush makes the first call load the script on this connection.
    flush(&server);
    assert_eq!(IncrBy.run_async(&mut con, "not-send", 1).await.unwrap(), 6);
    if requires(
        &server,
        7,
        "functions through a connection that is not Send",
    ) {
        assert_eq!(generic_library_calls(&mut con, "not-send").await, 7);
    }
}

#[tokio::test]
async fn a_dyn_connection_runs_scripts() {
    let server = Server::start();
    let mut inner = server.multiplexed().await;
    let con: &mut dyn ConnectionLike = &mut inner;
    flush(&server);
    assert_eq!(IncrBy.run_async(con, "dyn", 2).await.unwrap(), 2);
    assert_eq!(generic_calls(con, "dyn").await, 7);
    if requires(&server, 7, "functions through a dyn connection") {
        assert_eq!(generic_library_calls(con, "dyn").await, 8);
    }
}

/// Compile-time: the futures are `Send` for the connection types users spawn with.
fn assert_send<F: std::future::Future + Send>(future: F) -> F {
    future
}

/// Compile-time: every async entry point's future is `Send` for any `Send` connection,
/// and none asks more of the connection type than `ConnectionLike` (the generic calls
/// above compile for a connection that is not `Send`). Never run: building the futures
/// is the proof.
#[allow(dead_code)]
fn futures_are_send_whenever_the_connection_is<C: ConnectionLike + Send + ?Sized>(con: &mut C) {
    let scripts = &[IncrBy::script()];
    let libraries = &[Evincr::library()];
    drop(assert_send(IncrBy.run_async(&mut *con, "k", 1)));
    drop(assert_send(Evincr.incr_by_async(&mut *con, "k", 1)));
    drop(assert_send(evalsha::preload_async(&mut *con, scripts)));
    drop(assert_send(evalsha::loaded_async(&mut *con, scripts)));
    drop(assert_send(evalsha::functions::load_async(
        &mut *con, libraries,
    )));
    drop(assert_send(evalsha::functions::prune_async(
        &mut *con, libraries,
    )));
    drop(assert_send(Pipeline::new().query_each_async(&mut *con)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_are_send_for_send_connections_and_spawn_on_a_multi_thread_runtime() {
    let server = Server::start();
    flush(&server);
    let mut multiplexed = server.multiplexed().await;
    let mut manager = ConnectionManager::new(server.client()).await.unwrap();
    let a = tokio::spawn(async move {
        assert_send(IncrBy.run_async(&mut multiplexed, "spawned", 1)).await?;
        assert_send(IncrBy.call("spawned", 1).run_async(&mut multiplexed)).await?;
        assert_send(evalsha::preload_async(
            &mut multiplexed,
            &[IncrBy::script()],
        ))
        .await?;
        assert_send(evalsha::loaded_async(&mut multiplexed, &[IncrBy::script()])).await?;
        let mut pipe = Pipeline::new();
        pipe.script(IncrBy.call("spawned", 1));
        assert_send(pipe.query_each_async(&mut multiplexed)).await?;
        assert_send(pipe.query_async::<(i64,), _>(&mut multiplexed)).await
    });
    let b = tokio::spawn(async move {
        assert_send(IncrBy.run_async(&mut manager, "spawned", 1)).await?;
        let mut pipe = Pipeline::new();
        pipe.script(IncrBy.call("spawned", 1));
        assert_send(pipe.query_async::<(i64,), _>(&mut manager)).await
    });
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
    let total: i64 = redis::cmd("GET")
        .arg("spawned")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(total, 6);
}
