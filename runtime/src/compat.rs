//! What differs between redis 1.x and 2.x, for the rest of the runtime: each item has one
//! body per major version, chosen by the features `redis-1` and `redis-2` (see `lib.rs`).

/// An empty `redis::Pipeline` with room for `commands` commands.
#[cfg(feature = "redis-1")]
pub(crate) fn pipeline(commands: usize) -> redis::Pipeline {
    redis::Pipeline::with_capacity(commands)
}

/// An empty `redis::Pipeline` with room for `commands` commands.
#[cfg(not(feature = "redis-1"))]
pub(crate) fn pipeline(commands: usize) -> redis::Pipeline {
    let mut pipe = redis::Pipeline::new();
    pipe.reserve_for_commands(commands);
    pipe
}
