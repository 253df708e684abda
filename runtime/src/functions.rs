//! Redis Functions libraries (`include_library!`) as a whole: load them ahead of use, and
//! delete the versions of them that other builds left on the server.
//!
//! Calls load their library by themselves (on `ERR Function not found` only), so neither
//! is needed for correctness: [`load`] moves the load out of the first call (a deploy
//! step, or start-up), and [`prune`] tidies up after a rolling deploy, once no process of
//! the old build is left. On a Redis Cluster connection (`redis::cluster::ClusterConnection`,
//! and with feature `cluster-async` its async one) each `FUNCTION LOAD` and
//! `FUNCTION DELETE` goes out as its own command, which redis sends to every primary;
//! replicas follow by replication.

use redis::Value;

use crate::error::Error;
use crate::library::Library;
use crate::ran;

/// Loads `libraries` on the connection in one round trip (a pipeline of `FUNCTION LOAD`s,
/// without `REPLACE`). A library the server already has under its loaded name is left as
/// it is: for a versioned library that is this very version; for `versioned = false` it
/// may be another body, which a call then reports as
/// [`ErrorKind::LibraryConflict`](crate::ErrorKind::LibraryConflict) if it lacks the called
/// function.
pub fn load<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    libraries: &[&'static Library],
) -> Result<(), Error> {
    if crate::connection::Kind::of_sync(con).is_cluster() {
        // A sync cluster connection: a pipeline would reach one node.
        for library in libraries {
            let reply = con.req_packed_command(&load_cmd(library).get_packed_command());
            check_loads(&[library], reply.map(|value| vec![value]))?;
        }
        return Ok(());
    }
    let pipe = load_pipeline(libraries);
    let replies = con.req_packed_commands(&pipe.get_packed_pipeline(), 0, libraries.len());
    check_loads(libraries, replies)
}

/// [`load`] on an async connection.
#[cfg(feature = "aio")]
pub async fn load_async<C>(con: &mut C, libraries: &[&'static Library]) -> Result<(), Error>
where
    C: redis::aio::ConnectionLike + Send + ?Sized,
{
    #[cfg(feature = "cluster-async")]
    if crate::connection::Kind::of_async::<C>().is_cluster() {
        for library in libraries {
            let reply = con.req_packed_command(&load_cmd(library)).await;
            check_loads(&[library], reply.map(|value| vec![value]))?;
        }
        return Ok(());
    }
    let pipe = load_pipeline(libraries);
    let replies = con.req_packed_commands(&pipe, 0, libraries.len()).await;
    check_loads(libraries, replies)
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
pub fn prune<C: redis::ConnectionLike + ?Sized>(
    con: &mut C,
    libraries: &[&'static Library],
) -> Result<Vec<String>, Error> {
    let blame = blame(libraries);
    let list = con
        .req_packed_command(&redis::cmd("FUNCTION").arg("LIST").get_packed_command())
        .and_then(Value::extract_error)
        .map_err(|e| Error::from_redis(blame, e))?;
    let stale = stale(libraries, &list);
    if stale.is_empty() {
        return Ok(stale);
    }
    if crate::connection::Kind::of_sync(con).is_cluster() {
        // A sync cluster connection: each delete goes to every primary.
        for name in &stale {
            let reply = con.req_packed_command(&delete_cmd(name).get_packed_command());
            check_deletes(blame, reply.map(|value| vec![value]))?;
        }
        return Ok(stale);
    }
    let replies = con.req_packed_commands(
        &delete_pipeline(&stale).get_packed_pipeline(),
        0,
        stale.len(),
    );
    check_deletes(blame, replies)?;
    Ok(stale)
}

/// [`prune`] on an async connection.
#[cfg(feature = "aio")]
pub async fn prune_async<C>(
    con: &mut C,
    libraries: &[&'static Library],
) -> Result<Vec<String>, Error>
where
    C: redis::aio::ConnectionLike + Send + ?Sized,
{
    let blame = blame(libraries);
    let list = con
        .req_packed_command(redis::cmd("FUNCTION").arg("LIST"))
        .await
        .and_then(Value::extract_error)
        .map_err(|e| Error::from_redis(blame, e))?;
    let stale = stale(libraries, &list);
    if stale.is_empty() {
        return Ok(stale);
    }
    #[cfg(feature = "cluster-async")]
    if crate::connection::Kind::of_async::<C>().is_cluster() {
        for name in &stale {
            let reply = con.req_packed_command(&delete_cmd(name)).await;
            check_deletes(blame, reply.map(|value| vec![value]))?;
        }
        return Ok(stale);
    }
    let replies = con
        .req_packed_commands(&delete_pipeline(&stale), 0, stale.len())
        .await;
    check_deletes(blame, replies)?;
    Ok(stale)
}

fn blame(libraries: &[&'static Library]) -> &'static str {
    libraries.first().map_or(crate::PIPELINE, |l| l.path())
}

fn load_cmd(library: &Library) -> redis::Cmd {
    let mut cmd = redis::cmd("FUNCTION");
    cmd.arg("LOAD").arg(library.body());
    cmd
}

fn load_pipeline(libraries: &[&'static Library]) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for library in libraries {
        pipe.add_command(load_cmd(library));
    }
    pipe
}

fn check_loads(
    libraries: &[&'static Library],
    replies: redis::RedisResult<Vec<Value>>,
) -> Result<(), Error> {
    let replies = match replies {
        // A cluster's fanned-out `FUNCTION LOAD` fails as a whole when a primary has the
        // library already; the others loaded it.
        Err(err) if libraries.len() == 1 && ran::is_library_loaded(&err) => return Ok(()),
        other => other.map_err(|e| Error::from_redis(blame(libraries), e))?,
    };
    for (library, reply) in libraries.iter().zip(replies) {
        match reply.extract_error() {
            Err(err) if ran::is_library_loaded(&err) => {}
            Err(err) => return Err(Error::from_redis(library.path(), err)),
            Ok(_) => {}
        }
    }
    Ok(())
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

fn delete_cmd(name: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("FUNCTION");
    cmd.arg("DELETE").arg(name);
    cmd
}

fn delete_pipeline(names: &[String]) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for name in names {
        pipe.add_command(delete_cmd(name));
    }
    pipe
}

fn check_deletes(
    blame: &'static str,
    replies: redis::RedisResult<Vec<Value>>,
) -> Result<(), Error> {
    let replies = match replies {
        // A cluster's fanned-out `FUNCTION DELETE`: a primary without it is fine.
        Err(err) if ran::is_library_not_found(&err) => return Ok(()),
        other => other.map_err(|e| Error::from_redis(blame, e))?,
    };
    for reply in replies {
        match reply.extract_error() {
            // Deleted meanwhile by another pruner: the goal is met.
            Err(err) if ran::is_library_not_found(&err) => {}
            Err(err) => return Err(Error::from_redis(blame, err)),
            Ok(_) => {}
        }
    }
    Ok(())
}
