//! Redis Cluster: what kind of cluster connection a call is on, hash slots of a call's
//! keys, the cross-slot check, the way the `NOSCRIPT` fallback reaches the node that runs
//! the call, and (in [`redirect`]) following `MOVED`/`ASK`.
//!
//! There is no separate cluster entry point: `run` and `run_async` recognise redis's
//! cluster connection types and go through the same `invoke` flow as every other
//! connection, with a [`redirect::ClusterTransport`] as the transport.
//!
//! - **Which connection.** `redis::cluster::ClusterConnection` (feature `cluster`) and
//!   `redis::cluster_async::ClusterConnection` (feature `cluster-async`) are recognised by
//!   type ([`as_sync_cluster`], [`as_async_cluster`]). Other sync connections that say
//!   `supports_pipelining() == false` (among redis's connections only the cluster one
//!   does; a pooled one, say) get the cross-slot check and the probe below, and redis's
//!   own redirect handling.
//! - **At most once.** redis resends a command after a dropped connection or, on the sync
//!   connection, a timeout, as long as it has retries left (16 by default): a script can
//!   run twice. `ClusterClientBuilder::retries(0)` stops that, and stops redis following
//!   `MOVED`/`ASK`; evalsha then follows them for script calls, see [`redirect`].
//! - **Loading, sync.** redis's sync `req_packed_commands` routes a whole pipeline by
//!   the *first* command, and `SCRIPT LOAD` has no key (redis routes it to all nodes, or
//!   to a random one inside a pipeline). So the fallback sends the pipeline
//!   `EVAL "return 0" keys.., SCRIPT LOAD, EVALSHA`: the leading no-op probe (the call's
//!   keys, `EVAL_RO` for a read-only script) makes redis route all three to the node chosen
//!   for the call: the primary of the first key's slot, or for `EVALSHA_RO` the node the
//!   read strategy picks. A function's load goes to the slot's primary even for `FCALL_RO`
//!   (a replica refuses `FUNCTION LOAD`; it gets the library by replication), so its probe
//!   is `EVAL`. After a redirect the load and the call go to the named node.
//! - **Loading, async.** Its `req_packed_commands` routes a pipeline by the first command
//!   that has a key, so the ordinary `SCRIPT LOAD, EVALSHA` pipeline already lands on the
//!   call's node; a function's `FUNCTION LOAD, FCALL[_RO]` is sent to the slot's primary
//!   (`redirect::library_load_route`).
//! - **Redirects with redis's retries.** When the load-and-call pipeline meets `MOVED`/`ASK`
//!   (a slot being migrated) and redis follows it, it resends the pipeline whole to the new
//!   node, where `ASK` admits only its first command; `invoke` then sends the call once
//!   more (a redirect proves it did not run).
//! - **Pipelines** (`evalsha::Pipeline`) are refused on the sync cluster connection, see
//!   [`refuse_sync_pipeline`].

#[cfg(feature = "cluster")]
mod links;
#[cfg(feature = "cluster")]
pub(crate) mod redirect;

use crate::call::Call;
use crate::error::{Error, ErrorKind};
use crate::resp;

/// Number of hash slots in Redis Cluster.
const SLOTS: u16 = 16384;

/// The hash slot of `key`, as Redis computes it: CRC16 (XMODEM) of the key, or of the
/// part between the first `{` and the next `}` when that part is not empty, mod 16384.
pub fn slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key).unwrap_or(key)) % SLOTS
}

fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|&b| b == b'{')?;
    let close = key[open + 1..].iter().position(|&b| b == b'}')?;
    let tag = &key[open + 1..open + 1 + close];
    (!tag.is_empty()).then_some(tag)
}

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum of Redis Cluster.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Fails, before anything is sent, when the call's keys do not all hash to one slot.
pub(crate) fn check_slots<T>(call: &Call<T>) -> Result<(), Error> {
    let mut keys = call.keys();
    let Some(first) = keys.next() else {
        return Ok(());
    };
    let first_slot = slot(first);
    if keys.all(|key| slot(key) == first_slot) {
        return Ok(());
    }
    let keys = call
        .keys()
        .map(|key| (String::from_utf8_lossy(key).into_owned(), slot(key)))
        .collect();
    Err(Error::new(
        call.script(),
        ErrorKind::CrossSlot { keys },
        None,
    ))
}

/// Refuses an [`evalsha::Pipeline`](crate::Pipeline) on a sync cluster connection.
///
/// redis's sync cluster connection routes a whole pipeline by its first command, which
/// need not have a key (then: a random node). Measured: a plain
/// pipeline then comes back `MOVED` and redis resends all of it to the right node (an
/// ordinary command without a key would run twice), and a `MULTI`/`EXEC` one fails with
/// an aborted transaction. Neither is acceptable, so it is refused before sending. The
/// async cluster connection routes a pipeline by its first keyed command and is fine.
pub(crate) fn refuse_sync_pipeline<C: redis::ConnectionLike + ?Sized>(
    con: &C,
) -> Result<(), Error> {
    if con.supports_pipelining() {
        return Ok(());
    }
    Err(Error::new(
        crate::pipeline::PIPELINE,
        ErrorKind::Unsupported {
            what: "evalsha::Pipeline on a sync Redis Cluster connection (redis routes the \
                   whole pipeline to a random node); run the calls one by one with `run`, or \
                   use the async cluster connection, whose pipelines work when every \
                   command uses one slot",
        },
        None,
    ))
}

/// `con` as redis's sync cluster connection, when that is its type.
#[cfg(feature = "cluster")]
pub(crate) fn as_sync_cluster<C: ?Sized>(
    con: &mut C,
) -> Option<&mut redis::cluster::ClusterConnection> {
    if typeid::of::<C>() != std::any::TypeId::of::<redis::cluster::ClusterConnection>() {
        return None;
    }
    // SAFETY: `C` has the type id of `ClusterConnection`, a `'static` type without lifetime
    // parameters, so `C` is that very type (see `typeid::of`): the cast changes nothing.
    Some(unsafe { &mut *(con as *mut C).cast::<redis::cluster::ClusterConnection>() })
}

/// True when `C` is redis's async cluster connection.
#[cfg(feature = "cluster-async")]
pub(crate) fn is_async_cluster<C: ?Sized>() -> bool {
    typeid::of::<C>() == std::any::TypeId::of::<redis::cluster_async::ClusterConnection>()
}

/// `con` as redis's async cluster connection, when that is its type.
#[cfg(feature = "cluster-async")]
pub(crate) fn as_async_cluster<C: ?Sized>(
    con: &mut C,
) -> Option<&mut redis::cluster_async::ClusterConnection> {
    if !is_async_cluster::<C>() {
        return None;
    }
    // SAFETY: as in `as_sync_cluster`.
    Some(unsafe { &mut *(con as *mut C).cast::<redis::cluster_async::ClusterConnection>() })
}

/// Runs `call` on a sync cluster connection: cross-slot check, then `invoke` following
/// redirects.
#[cfg(feature = "cluster")]
pub(crate) fn invoke_sync<T>(
    con: &mut redis::cluster::ClusterConnection,
    call: &Call<T>,
) -> Result<redis::Value, Error> {
    check_slots(call)?;
    let mut transport = redirect::ClusterTransport::new(links::SyncLink(con));
    crate::invoke::block_on(crate::invoke::invoke(&mut transport, call))
}

/// Runs `call` on an async cluster connection: cross-slot check, then `invoke` following
/// redirects.
#[cfg(feature = "cluster-async")]
pub(crate) async fn invoke_async<T>(
    con: &mut redis::cluster_async::ClusterConnection,
    call: &Call<T>,
) -> Result<redis::Value, Error> {
    check_slots(call)?;
    let mut transport = redirect::ClusterTransport::new(links::AsyncLink(con));
    crate::invoke::invoke(&mut transport, call).await
}

/// The body of the leading probe of the sync fallback: does nothing, touches no key.
const PROBE: &[u8] = b"return 0";

/// The probe's command: read-only exactly when the call is, so redis routes it as the
/// call, except for a function: a replica cannot load a library, so a function's load and
/// retry go to the slot's primary (`EVAL`, a write as redis routes it), where the library
/// reaches the replicas by replication.
fn probe_command<T>(call: &Call<T>) -> &'static str {
    if call.script().loads_on_primary() {
        "EVAL"
    } else {
        call.eval_command()
    }
}

/// The sync fallback on a cluster connection, packed as one pipeline that redis routes by
/// its first command: a probe `EVAL`/`EVAL_RO "return 0" numkeys keys..` (the call's keys,
/// and the command [`probe_command`] picks, so redis gives it the route the load must
/// take; it runs a no-op), then `SCRIPT LOAD` (or `FUNCTION LOAD`) and the call. The probe
/// cannot be the call's own `EVALSHA`: that could run the script twice if another caller
/// loaded it meanwhile, and redis's cluster pipeline turns any error reply, `NOSCRIPT`
/// included, into a failure of the whole pipeline.
pub(crate) fn packed_probe_load_and_call<T>(call: &Call<T>) -> Vec<u8> {
    let load = call.packed_load_and_call();
    let mut out = Vec::with_capacity(64 + 2 * load.len());
    let mut parts: Vec<&[u8]> = Vec::with_capacity(3 + call.num_keys());
    let numkeys = itoa::Buffer::new().format(call.num_keys()).to_owned();
    parts.extend([probe_command(call).as_bytes(), PROBE, numkeys.as_bytes()]);
    parts.extend(call.keys());
    resp::push_command(&mut out, &parts);
    out.extend_from_slice(&load);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{Reload, Script};

    static RO: Script = Script::__new(
        "ro.lua",
        "0123456789012345678901234567890123456789",
        "#!lua flags=no-writes\nreturn 1",
        true,
        Reload::Load,
    );

    fn call(keys: &[&str]) -> Call<i64> {
        let mut call = Call::__new(&RO, 0);
        call.__keys(keys);
        call.__arg("a", &"secret");
        call.__finish()
    }

    #[test]
    fn probe_routes_like_the_call_and_leaves_out_the_args() {
        let call = call(&["{u}:a", "{u}:b"]);
        let packed = packed_probe_load_and_call(&call);
        let probe =
            b"*5\r\n$7\r\nEVAL_RO\r\n$8\r\nreturn 0\r\n$1\r\n2\r\n$5\r\n{u}:a\r\n$5\r\n{u}:b\r\n";
        assert!(packed.starts_with(probe));
        assert_eq!(&packed[probe.len()..], &call.packed_load_and_call()[..]);
        assert!(check_slots(&call).is_ok());
    }

    #[test]
    fn cross_slot_error_names_keys_and_slots() {
        let err = check_slots(&call(&["a", "b"])).unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::CrossSlot {
                keys: vec![("a".into(), slot(b"a")), ("b".into(), slot(b"b"))]
            }
        );
        let text = err.to_string();
        assert!(text.starts_with("script ro.lua: keys hash to different cluster slots"));
        assert!(text.contains(&format!("`a` -> {}, `b` -> {}", slot(b"a"), slot(b"b"))));
        assert!(check_slots(&call(&[])).is_ok());
    }

    #[test]
    fn slots_match_redis() {
        // Values from `CLUSTER KEYSLOT` and the Redis Cluster specification.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"bar"), 5061);
        assert_eq!(slot(b""), 0);
        assert_eq!(slot(b"{user1000}.following"), slot(b"{user1000}.followers"));
        assert_eq!(slot(b"{user}:a"), slot(b"user"));
        // Empty tag: the whole key is hashed.
        assert_eq!(slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % SLOTS);
        assert_eq!(slot(b"foo{{bar}}zap"), slot(b"{bar"));
        assert_eq!(slot(b"foo{bar}{zap}"), slot(b"bar"));
    }
}
