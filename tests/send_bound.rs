//! `run_async` and the other async entry points take any `redis::aio::ConnectionLike`,
//! `Send` or not, `Sized` or not; their futures are `Send` whenever the connection is.

use std::rc::Rc;

use evalsha::Pipeline;
use evalsha_testkit::Server;
use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};

evalsha::include_script!("tests/scripts/incr_by.lua");

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
}

#[tokio::test]
async fn a_dyn_connection_runs_scripts() {
    let server = Server::start();
    let mut inner = server.multiplexed().await;
    let con: &mut dyn ConnectionLike = &mut inner;
    flush(&server);
    assert_eq!(IncrBy.run_async(con, "dyn", 2).await.unwrap(), 2);
    assert_eq!(generic_calls(con, "dyn").await, 7);
}

/// Compile-time: the futures are `Send` for the connection types users spawn with.
fn assert_send<F: std::future::Future + Send>(future: F) -> F {
    future
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
