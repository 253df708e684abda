//! Bulk operations on scripts and libraries as a whole, each written once as an `async fn`
//! over [`Commands`] and offered sync (driven by `plain::block_on`) and async:
//! [`preload`] and [`loaded`] for scripts, [`load_libraries`] and [`prune_libraries`]
//! for Redis Functions (public as `functions::load` and `functions::prune`).
//!
//! They share one shape ([`send_each`]): one command per script or library, sent as one
//! pipeline (one round trip), except on a Redis Cluster connection, where each goes
//! alone, because redis sends a keyless command to every node (primaries and replicas for
//! `SCRIPT LOAD`, primaries for `FUNCTION LOAD`/`DELETE`) while a pipeline of them would
//! reach one node.
//!
//! **`Send`.** The async ones take any `redis::aio::ConnectionLike`, `Send` or not,
//! `Sized` or not, and their futures are `Send` whenever the connection is (the rule of
//! `run_async`; `tests/send_bound.rs`).

use redis::{Cmd, FromRedisValue, RedisError, Value};

use crate::connection::Kind;
use crate::error::{Error, ErrorKind, PIPELINE, Subject};
use crate::library::Library;
use crate::plain::{SyncTransport, block_on};
use crate::ran;
use crate::resp;
use crate::script::Script;
use crate::trace::{self, Reason};
use crate::transport::Commands;

/// `con` as the plain transport of its kind.
fn sync<C: redis::ConnectionLike + ?Sized>(con: &mut C) -> SyncTransport<'_, C> {
    let cluster = Kind::of_sync(con).is_cluster();
    SyncTransport::new(con, cluster)
}

/// `con` as the plain transport of its kind.
#[cfg(feature = "aio")]
fn asynk<C: redis::aio::ConnectionLike + ?Sized>(
    con: &mut C,
) -> crate::plain::AsyncTransport<'_, C> {
    crate::plain::AsyncTransport::new(con, Kind::of_async::<C>().is_cluster())
}

/// Loads `scripts` on the connection in one round trip (a pipeline of `SCRIPT LOAD`s):
/// at start-up, after a failover, or as the deploy step for
/// [`Reload::Never`](crate::Reload::Never).
///
/// On a Redis Cluster connection it loads every script on every node, primaries and
/// replicas: one `SCRIPT LOAD` per script, which redis fans out to all nodes and which
/// succeeds only when every node loaded it. (A pipeline of them would reach one random
/// node.)
pub fn preload<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    scripts: &[&'static Script],
) -> Result<(), Error> {
    block_on(preload_on(&mut sync(con), scripts))
}

/// [`preload`] on an async connection. On `redis::cluster_async::ClusterConnection`
/// (feature `cluster-async`) it loads every script on every node, as [`preload`] does.
#[cfg(feature = "aio")]
pub async fn preload_async<C>(con: &mut C, scripts: &[&'static Script]) -> Result<(), Error>
where
    C: redis::aio::ConnectionLike + ?Sized,
{
    preload_on(&mut asynk(con), scripts).await
}

async fn preload_on(con: &mut impl Commands, scripts: &[&'static Script]) -> Result<(), Error> {
    let timer = trace::start();
    let cmds = scripts
        .iter()
        .map(|s| resp::to_cmd(&[b"SCRIPT", b"LOAD", s.source().as_bytes()]));
    let result = send_each(con, cmds.collect(), |i| scripts[i].into(), |_| false).await;
    // Each script up to the one that failed (all, when none did) was loaded; the failed
    // one counts with its error; whether those after it were is not known.
    let err = result.as_ref().err();
    let failed = err.map(|e| scripts.iter().position(|s| s.name() == e.script()));
    for (i, script) in scripts.iter().enumerate() {
        let this = failed.is_some_and(|at| at.unwrap_or(0) == i);
        trace::loaded(script, Reason::Preload, &timer, err.filter(|_| this));
        if this {
            break;
        }
    }
    result
}

/// Asks the server which of `scripts` it has (`SCRIPT EXISTS`), in order.
pub fn loaded<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    scripts: &[&'static Script],
) -> Result<Vec<bool>, Error> {
    block_on(loaded_on(&mut sync(con), scripts))
}

/// [`loaded`] on an async connection.
#[cfg(feature = "aio")]
pub async fn loaded_async<C>(con: &mut C, scripts: &[&'static Script]) -> Result<Vec<bool>, Error>
where
    C: redis::aio::ConnectionLike + ?Sized,
{
    loaded_on(&mut asynk(con), scripts).await
}

async fn loaded_on(
    con: &mut impl Commands,
    scripts: &[&'static Script],
) -> Result<Vec<bool>, Error> {
    let name = scripts.first().map_or(PIPELINE, |s| s.name());
    let mut cmd = redis::cmd("SCRIPT");
    cmd.arg("EXISTS");
    for script in scripts {
        cmd.arg(script.sha1());
    }
    let value = con
        .one(&cmd)
        .await
        .and_then(Value::extract_error)
        .map_err(|e| Error::from_redis(name, e))?;
    Vec::<bool>::from_redis_value(value).map_err(|err| {
        Error::new(
            name,
            ErrorKind::Reply {
                expected: "Vec<bool>",
            },
            Some(err.into()),
        )
    })
}

/// Loads `libraries` on the connection in one round trip (a pipeline of `FUNCTION LOAD`s,
/// without `REPLACE`). A library the server already has under its loaded name is left as
/// it is: for a versioned library that is this very version; for `versioned = false` it
/// may be another body, which a call then reports as
/// [`ErrorKind::LibraryConflict`](crate::ErrorKind::LibraryConflict) if it lacks the called
/// function.
pub fn load_libraries<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    libraries: &[&'static Library],
) -> Result<(), Error> {
    block_on(load_libraries_on(&mut sync(con), libraries))
}

/// [`load`](crate::functions::load) on an async connection.
#[cfg(feature = "aio")]
pub async fn load_libraries_async<C>(
    con: &mut C,
    libraries: &[&'static Library],
) -> Result<(), Error>
where
    C: redis::aio::ConnectionLike + ?Sized,
{
    load_libraries_on(&mut asynk(con), libraries).await
}

async fn load_libraries_on(
    con: &mut impl Commands,
    libraries: &[&'static Library],
) -> Result<(), Error> {
    let cmds = libraries.iter().map(|l| resp::to_cmd(&l.load_command()));
    let subject = |i: usize| libraries[i].path().into();
    send_each(con, cmds.collect(), subject, ran::is_library_loaded).await
}

/// Deletes every other version of `libraries` from the server: each library loaded as
/// `<name>_<12 hex digits>` with the same `<name>` but another suffix than this build's.
/// Returns the names deleted. Libraries under any other name, the plain `<name>` included,
/// are left alone. Two round trips: `FUNCTION LIST`, then the `FUNCTION DELETE`s
/// pipelined.
///
/// Run it once no process of an older build still calls the old version: a call of a
/// deleted version reloads it (`ERR Function not found` → `FUNCTION LOAD`), so an early
/// prune costs a reload, never a failed call.
pub fn prune_libraries<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    libraries: &[&'static Library],
) -> Result<Vec<String>, Error> {
    block_on(prune_libraries_on(&mut sync(con), libraries))
}

/// [`prune`](crate::functions::prune) on an async connection.
#[cfg(feature = "aio")]
pub async fn prune_libraries_async<C>(
    con: &mut C,
    libraries: &[&'static Library],
) -> Result<Vec<String>, Error>
where
    C: redis::aio::ConnectionLike + ?Sized,
{
    prune_libraries_on(&mut asynk(con), libraries).await
}

async fn prune_libraries_on(
    con: &mut impl Commands,
    libraries: &[&'static Library],
) -> Result<Vec<String>, Error> {
    let blame = libraries.first().map_or(PIPELINE, |l| l.path());
    let list = con
        .one(redis::cmd("FUNCTION").arg("LIST"))
        .await
        .and_then(Value::extract_error)
        .map_err(|e| Error::from_redis(blame, e))?;
    let stale = stale(libraries, &list);
    if stale.is_empty() {
        return Ok(stale);
    }
    let cmds = stale.iter().map(|name| {
        let mut cmd = redis::cmd("FUNCTION");
        cmd.arg("DELETE").arg(name);
        cmd
    });
    // Deleted meanwhile by another pruner, or (on a cluster) a primary without it: the
    // goal is met.
    send_each(
        con,
        cmds.collect(),
        |_| blame.into(),
        ran::is_library_not_found,
    )
    .await?;
    Ok(stale)
}

/// Sends `cmds`, one per item: as one pipeline, or on a cluster each alone (see the
/// module docs). An error reply that `done` accepts counts as success (`FUNCTION LOAD`
/// of a library the server has, `FUNCTION DELETE` of one it has not); any other fails
/// with the item's [`Subject`]. A failure of a whole send is the error of its first item
/// ([`PIPELINE`] when there is none), unless it is of one command and `done` accepts it
/// (redis's cluster connection reports a fanned-out command's error reply so).
async fn send_each(
    con: &mut impl Commands,
    cmds: Vec<Cmd>,
    subject: impl Fn(usize) -> Subject,
    done: fn(&RedisError) -> bool,
) -> Result<(), Error> {
    let check = |first: usize, sent: usize, replies: redis::RedisResult<Vec<Value>>| {
        let replies = match replies {
            Err(err) if sent == 1 && done(&err) => return Ok(()),
            Err(err) if sent == 0 => return Err(Error::from_redis(PIPELINE, err)),
            Err(err) => return Err(Error::from_redis(subject(first), err)),
            Ok(replies) => replies,
        };
        for (i, reply) in replies.into_iter().take(sent).enumerate() {
            match reply.extract_error() {
                Err(err) if done(&err) => {}
                Err(err) => return Err(Error::from_redis(subject(first + i), err)),
                Ok(_) => {}
            }
        }
        Ok(())
    };
    if con.is_cluster() {
        for (i, cmd) in cmds.iter().enumerate() {
            check(i, 1, con.one(cmd).await.map(|value| vec![value]))?;
        }
        return Ok(());
    }
    let mut pipe = crate::compat::pipeline(cmds.len());
    for cmd in cmds {
        pipe.add_command(cmd);
    }
    let count = pipe.len();
    check(0, count, con.all(&pipe, count).await)
}

/// The loaded names in a `FUNCTION LIST` reply that are other versions of `libraries`.
fn stale(libraries: &[&'static Library], list: &Value) -> Vec<String> {
    library_names(list)
        .filter(|name| {
            libraries
                .iter()
                .any(|l| l.is_versioned() && l.is_version(name) && *name != l.loaded_name())
        })
        .map(str::to_owned)
        .collect()
}

/// The `library_name` of every entry of a `FUNCTION LIST` reply (RESP2 flat arrays or
/// RESP3 maps).
fn library_names(list: &Value) -> impl Iterator<Item = &str> {
    let entries: &[Value] = match list {
        Value::Array(entries) => entries,
        _ => &[],
    };
    entries.iter().filter_map(|entry| {
        let pairs: Vec<(&Value, &Value)> = match entry {
            Value::Array(flat) => flat
                .chunks(2)
                .filter_map(|kv| kv.first().zip(kv.get(1)))
                .collect(),
            Value::Map(map) => map.iter().map(|(k, v)| (k, v)).collect(),
            _ => return None,
        };
        pairs
            .into_iter()
            .find(|(k, _)| text(k) == Some("library_name"))
            .and_then(|(_, v)| text(v))
    })
}

fn text(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        Value::SimpleString(s) => Some(s),
        Value::VerbatimString { text, .. } => Some(text),
        _ => None,
    }
}
