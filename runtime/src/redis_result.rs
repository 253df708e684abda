//! evalsha's free functions returning `redis::RedisResult`, for a crate that sets
//! `error = "redis"` in `[package.metadata.evalsha]`.
//!
//! Under that setting the generated `run`/`run_async` and the [`Call`](crate::Call)s that
//! `call(..)` returns already give a `redis::RedisError`, so `?` converts into the crate's
//! own error type (one that converts from `redis::RedisError`, as
//! `#[from] redis::RedisError` makes it). A free function cannot see the setting of the
//! crate calling it, so these are twins of [`crate::preload`], [`crate::loaded`] and
//! [`crate::functions`]' `load`/`prune`, and their `_async` forms, and [`pipeline`] makes
//! a [`Pipeline`] whose `query` methods answer likewise: the same steps, the
//! `evalsha::Error` carried inside the `redis::RedisError`
//! ([`Error::into_redis_wrapped`]), so [`Error::find`] still gets it back:
//!
//! ```ignore
//! evalsha::redis_result::preload_async(con, &[Push::script(), Pop::script()]).await?;
//! ```

use redis::RedisResult;

use crate::error::Error;
use crate::library::Library;
use crate::script::Script;

/// An [`evalsha::Pipeline`](crate::Pipeline) whose `query` methods return
/// `redis::RedisResult`, the [`Error`] carried inside.
pub type Pipeline = crate::pipeline::Pipeline<redis::RedisError>;

/// An empty [`Pipeline`] whose `query` methods return `redis::RedisResult`.
pub fn pipeline() -> Pipeline {
    Pipeline::default()
}

/// [`crate::preload`], its error a `redis::RedisError` carrying the [`Error`].
pub fn preload<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    scripts: &[&'static Script],
) -> RedisResult<()> {
    crate::bulk::preload(con, scripts).map_err(Error::into_redis_wrapped)
}

/// [`crate::preload_async`], its error a `redis::RedisError` carrying the [`Error`].
#[cfg(feature = "aio")]
pub async fn preload_async<C>(con: &mut C, scripts: &[&'static Script]) -> RedisResult<()>
where
    C: redis::aio::ConnectionLike + ?Sized,
{
    crate::bulk::preload_async(con, scripts)
        .await
        .map_err(Error::into_redis_wrapped)
}

/// [`crate::loaded`], its error a `redis::RedisError` carrying the [`Error`].
pub fn loaded<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    scripts: &[&'static Script],
) -> RedisResult<Vec<bool>> {
    crate::bulk::loaded(con, scripts).map_err(Error::into_redis_wrapped)
}

/// [`crate::loaded_async`], its error a `redis::RedisError` carrying the [`Error`].
#[cfg(feature = "aio")]
pub async fn loaded_async<C>(con: &mut C, scripts: &[&'static Script]) -> RedisResult<Vec<bool>>
where
    C: redis::aio::ConnectionLike + ?Sized,
{
    crate::bulk::loaded_async(con, scripts)
        .await
        .map_err(Error::into_redis_wrapped)
}

/// [`crate::functions`]' `load` and `prune` (and `_async`), their errors
/// `redis::RedisError`s carrying the [`Error`].
pub mod functions {
    use super::*;

    /// [`crate::functions::load`], its error a `redis::RedisError` carrying the [`Error`].
    pub fn load<C: redis::ConnectionLike + ?Sized>(
        con: &mut C,
        libraries: &[&'static Library],
    ) -> RedisResult<()> {
        crate::bulk::load_libraries(con, libraries).map_err(Error::into_redis_wrapped)
    }

    /// [`crate::functions::load_async`], its error a `redis::RedisError` carrying the
    /// [`Error`].
    #[cfg(feature = "aio")]
    pub async fn load_async<C>(con: &mut C, libraries: &[&'static Library]) -> RedisResult<()>
    where
        C: redis::aio::ConnectionLike + ?Sized,
    {
        crate::bulk::load_libraries_async(con, libraries)
            .await
            .map_err(Error::into_redis_wrapped)
    }

    /// [`crate::functions::prune`], its error a `redis::RedisError` carrying the [`Error`].
    pub fn prune<C: redis::ConnectionLike + ?Sized>(
        con: &mut C,
        libraries: &[&'static Library],
    ) -> RedisResult<Vec<String>> {
        crate::bulk::prune_libraries(con, libraries).map_err(Error::into_redis_wrapped)
    }

    /// [`crate::functions::prune_async`], its error a `redis::RedisError` carrying the
    /// [`Error`].
    #[cfg(feature = "aio")]
    pub async fn prune_async<C>(
        con: &mut C,
        libraries: &[&'static Library],
    ) -> RedisResult<Vec<String>>
    where
        C: redis::aio::ConnectionLike + ?Sized,
    {
        crate::bulk::prune_libraries_async(con, libraries)
            .await
            .map_err(Error::into_redis_wrapped)
    }
}
