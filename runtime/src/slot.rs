//! Hash slots: the slot of a key as Redis Cluster computes it, the cross-slot check a
//! call on a cluster connection passes before anything is sent, and the probe that makes
//! redis's sync cluster connection route a `NOSCRIPT` load to the node of the call.
//!
//! **The probe.** redis's sync `req_packed_commands` routes a whole pipeline by the
//! *first* command, and `SCRIPT LOAD` has no key (redis routes it to all nodes, or to a
//! random one inside a pipeline). So the fallback sends the pipeline
//! `EVAL "return 0" keys.., SCRIPT LOAD, EVALSHA`: the leading no-op probe (the call's
//! keys, `EVAL_RO` for a read-only script) makes redis route all three to the node chosen
//! for the call: the primary of the first key's slot, or for `EVALSHA_RO` the node the
//! read strategy picks. A function's load goes to the slot's primary even for `FCALL_RO`
//! (a replica refuses `FUNCTION LOAD`; it gets the library by replication), so its probe
//! is `EVAL`.

use crate::call::Call;
use crate::error::{Error, ErrorKind};
use crate::resp;

/// Number of hash slots in Redis Cluster.
pub(crate) const SLOTS: u16 = 16384;

/// The hash slot of `key`, as Redis computes it: CRC16 (XMODEM) of the key, or of the
/// part between the first `{` and the next `}` when that part is not empty, mod 16384.
pub fn slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key).unwrap_or(key)) % SLOTS
}

/// The part of `key` between its first `{` and the next `}`, when not empty.
pub(crate) fn hash_tag(key: &[u8]) -> Option<&[u8]> {
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
pub(crate) fn check_slots<T, E>(call: &Call<T, E>) -> Result<(), Error> {
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

/// The body of the leading probe of the sync fallback: does nothing, touches no key.
const PROBE: &[u8] = b"return 0";

/// The probe's command: read-only exactly when the call is, so redis routes it as the
/// call, except for a function: a replica cannot load a library, so a function's load and
/// retry go to the slot's primary (`EVAL`, a write as redis routes it), where the library
/// reaches the replicas by replication.
fn probe_command<T, E>(call: &Call<T, E>) -> &'static str {
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
pub(crate) fn packed_probe_load_and_call<T, E>(call: &Call<T, E>) -> Vec<u8> {
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
