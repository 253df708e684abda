//! `Error::into_redis_wrapped`, what the generated methods return under the crate setting
//! `error = "redis"` (tests/targets/redis_errors builds such a crate): the
//! `redis::RedisError` carries the whole `evalsha::Error`, so a crate's own error type
//! that wraps the `RedisError` still tells whether the script ran.

use evalsha::{ErrorKind, Ran, Reload};
use evalsha_testkit::{Server, counter};

evalsha::include_script!("tests/scripts/count_then_fail.lua");
evalsha::include_script!("tests/scripts/incr_by.lua");

/// A crate's error, as `#[from] redis::RedisError` makes it.
#[derive(Debug)]
struct Mine(redis::RedisError);

impl std::fmt::Display for Mine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mine: {}", self.0)
    }
}

impl From<redis::RedisError> for Mine {
    fn from(err: redis::RedisError) -> Self {
        Mine(err)
    }
}

impl std::error::Error for Mine {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn the_evalsha_error_is_found_in_the_redis_error_it_became() {
    let server = Server::start();
    let mut con = server.connection();
    let raised = CountThenFail
        .run::<()>(&mut con, "n", "boom")
        .map_err(evalsha::Error::into_redis_wrapped)
        .map_err(Mine)
        .unwrap_err();
    assert_eq!(counter(&mut con, "n"), 1, "the script ran once");
    let found = evalsha::Error::find(&raised).expect("carried");
    assert_eq!(found.ran(), Ran::Yes);
    assert_eq!(found.line(), Some(5));
    assert!(
        raised.to_string().contains("count_then_fail.lua failed at"),
        "{raised}"
    );
    assert!(!raised.0.is_connection_dropped() && !raised.0.is_timeout());

    redis::cmd("SCRIPT").arg("FLUSH").exec(&mut con).unwrap();
    let refused = IncrBy
        .call("m", 1)
        .reload(Reload::Never)
        .run(&mut con)
        .map_err(evalsha::Error::into_redis_wrapped)
        .unwrap_err();
    let found = evalsha::Error::find(&refused).expect("carried");
    assert_eq!((found.kind(), found.ran()), (&ErrorKind::NoScript, Ran::No));
    assert_eq!(counter(&mut con, "m"), 0, "it did not run");
}

#[test]
fn the_redis_result_twins_give_a_redis_error_that_carries_the_evalsha_error() {
    let mut server = Server::start();
    let mut con = server.connection();
    let scripts = [CountThenFail::script(), IncrBy::script()];
    let loaded: redis::RedisResult<Vec<bool>> = evalsha::redis_result::loaded(&mut con, &scripts);
    assert_eq!(loaded.unwrap(), [false, false]);
    let preloaded: redis::RedisResult<()> = evalsha::redis_result::preload(&mut con, &scripts);
    preloaded.unwrap();
    assert_eq!(
        evalsha::redis_result::loaded(&mut con, &scripts).unwrap(),
        [true, true]
    );
    // The server gone: `?` into the crate's own error, the evalsha::Error still inside.
    server.stop();
    let gone = (|| -> Result<(), Mine> {
        evalsha::redis_result::preload(&mut con, &scripts)?;
        Ok(())
    })()
    .unwrap_err();
    let found = evalsha::Error::find(&gone).expect("carried");
    assert_eq!(found.script(), "tests/scripts/count_then_fail.lua");
    assert!(gone.0.is_io_error(), "{gone}");
}

#[test]
fn a_redis_result_pipeline_gives_a_redis_error_that_carries_the_evalsha_error() {
    let server = Server::start();
    let mut con = server.connection();
    let mut pipe: evalsha::redis_result::Pipeline = evalsha::redis_result::pipeline();
    pipe.script(IncrBy.call("m", 1))
        .script(CountThenFail.call::<()>("n", "boom"));
    let each = pipe.query_each(&mut con).unwrap();
    assert_eq!(each.len(), 2);
    assert_eq!(each[0].as_ref().unwrap(), &redis::Value::Int(1));
    let raised = each[1].as_ref().unwrap_err();
    let found = evalsha::Error::find(raised).expect("carried");
    assert_eq!((found.ran(), found.line()), (Ran::Yes, Some(5)));
    // `?` into the crate's own error, the evalsha::Error still inside.
    let failed = (|| -> Result<(i64, ()), Mine> { Ok(pipe.query(&mut con)?) })().unwrap_err();
    let found = evalsha::Error::find(&failed).expect("carried");
    assert_eq!(found.ran(), Ran::Yes);
    assert_eq!((counter(&mut con, "m"), counter(&mut con, "n")), (2, 2));
}
