//! `error = "redis"`: a crate whose error type converts from `redis::RedisError` (as
//! `#[from]` makes it) and knows nothing of evalsha uses `?` on the generated methods,
//! without a `map_err` per call, and still finds out whether the script ran.
evalsha::include_script!("../scripts/counter.lua");
evalsha::include_script!("../scripts/get.lua");
evalsha::include_library!("../scripts/hash_ttl.lua");

/// The crate's own error, as job-queue crates write it.
#[derive(Debug)]
pub enum Error {
    /// Everything `redis` reports.
    Database(redis::RedisError),
}

impl From<redis::RedisError> for Error {
    fn from(err: redis::RedisError) -> Self {
        Error::Database(err)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Error::Database(err) = self;
        write!(f, "database: {err}")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let Error::Database(err) = self;
        Some(err)
    }
}

/// `?` at each call: the script's typed reply, the generic one, a library function.
pub fn bump(con: &mut redis::Connection) -> Result<i64, Error> {
    let n = Counter.run(con, "n", 1)?;
    let _: Option<String> = Get.run(con, "n")?;
    let _: Option<String> = HashTtl.take(con, "h", "f")?;
    Ok(n)
}

/// Whether the script ran, from the crate's own error.
pub fn ran(err: &Error) -> Option<evalsha::Ran> {
    evalsha::Error::find(err).map(evalsha::Error::ran)
}

/// The error type is `redis::RedisError` exactly.
pub fn typed(con: &mut redis::Connection) -> redis::RedisResult<i64> {
    Counter.run(con, "n", 1)
}

/// The call builder follows the setting too: keys and arguments first, then the
/// connection, as `redis::Script`'s `.key(..).arg(..).invoke(con)` has it, with `?`.
pub fn bump_by_call(con: &mut redis::Connection) -> Result<i64, Error> {
    let n = Counter.call("n", 1).run(con)?;
    let _: Option<String> = Get.call("n").run(con)?;
    let _: Option<String> = HashTtl.take_call("h", "f").run(con)?;
    Ok(n)
}

/// evalsha's free functions have twins in `evalsha::redis_result` that return
/// `redis::RedisResult`: `?` without a `map_err` there too.
pub fn warm_up(con: &mut redis::Connection) -> Result<Vec<bool>, Error> {
    evalsha::redis_result::preload(con, &[Counter::script(), Get::script()])?;
    Ok(evalsha::redis_result::loaded(
        con,
        &[Counter::script(), Get::script()],
    )?)
}

/// A pipeline from `evalsha::redis_result::pipeline()` answers `redis::RedisResult` too.
pub fn bump_twice(con: &mut redis::Connection) -> Result<(i64, i64), Error> {
    let mut pipe = evalsha::redis_result::pipeline();
    pipe.script(Counter.call::<i64>("n", 1))
        .script(Counter.call::<i64>("n", 1));
    let each: Vec<redis::RedisResult<redis::Value>> = pipe.query_each(con)?;
    drop(each);
    Ok(pipe.query(con)?)
}
