//! Runtime of [evalsha](https://docs.rs/evalsha): the [`Script`] values that
//! `include_script!` embeds, prepared [`Call`]s, the `NOSCRIPT` load-and-retry, and the
//! [`Error`] type.
//!
//! Use it through the `evalsha` crate, which re-exports everything public here.
//!
//! # Layers
//!
//! A call goes down these modules once: `connection` decides what kind of connection it
//! is on and picks a transport (`plain`, or `cluster` around it), `invoke` runs the one
//! flow through that transport's `send(step)`, and the replies are read by `ran`. Each
//! module below may use only the modules named in its last column, all of them above it,
//! so no module imports one that imports it back. The unit test `layers`
//! (`cargo test --workspace --all-features --lib layers`) reads every `crate::` path in
//! every module (outside comments and tests) and fails when a module uses one not listed
//! for it here, or when a listed one is not above it.
//!
//! | module | holds | may use |
//! |---|---|---|
//! | `resp` | RESP encoding of commands straight into one buffer | |
//! | `compat` | what differs between redis 1.x and 2.x, one body per major version | |
//! | `timer` | a timer thread for bounded waits, whatever the async runtime | |
//! | `ran` | [`Ran`], and every reading of the server's replies: error codes and texts as data tables | |
//! | `flight` | single flight of loads: one load between many callers | `timer` |
//! | `library` | [`Library`]: a Functions library, its loaded names and body | `flight` |
//! | `script` | [`Script`], [`Reload`], and the script-or-function kind: what to send, what "not loaded" looks like, how to load | `flight`, `library`, `ran` |
//! | `error` | [`Error`], [`ErrorKind`], [`PIPELINE`], what an error is about | `ran`, `script` |
//! | `call` | [`Call`]: a call packed once, in every form it is sent | `error`, `resp`, `script` |
//! | `slot` | hash slots, the cross-slot check, the probe that routes a sync cluster load | `call`, `error`, `resp` |
//! | `once` | [`Token`], [`Call::once`]: the script wrapped to record its reply, the record's key; what [`Call::retries`] decides after a send | `call`, `error`, `library`, `ran`, `script`, `slot` |
//! | `trace` | a span per call and an event per load (feature `tracing`), the metrics per call, load and batch (feature `metrics`): recorded here only | `error`, `ran`, `script` |
//! | `transport` | what the flow needs of a connection: `Transport::send(Step)`, and `Commands` for bulk operations | `call` |
//! | `plain` | the plain sync and async transports, and `block_on` for sync connections | `call`, `slot`, `transport` |
//! | `invoke` | the call flow: call, on "not loaded" only reload (single flight) and retry once | `call`, `error`, `flight`, `ran`, `script`, `trace`, `transport` |
//! | `cluster` | the cluster transport: a decorator over the plain one that follows `MOVED`/`ASK` | `call`, `plain`, `ran`, `slot`, `timer`, `transport` |
//! | `connection` | the connection's kind, decided once by type, and [`Call::run`], [`Call::run_async`] | `call`, `cluster`, `error`, `invoke`, `once`, `plain`, `slot`, `timer` |
//! | `bulk` | [`preload`], [`loaded`], `functions::load`, `functions::prune`, sync and async, each written once | `compat`, `connection`, `error`, `library`, `plain`, `ran`, `resp`, `script`, `trace`, `transport` |
//! | `pipeline` | [`Pipeline`]: calls and commands in one round trip, `MULTI`/`EXEC` | `call`, `compat`, `connection`, `error`, `library`, `ran`, `resp`, `script`, `trace` |
//! | [`functions`] | the public face of the bulk operations on libraries | `bulk` |
//! | [`redis_result`] | the bulk operations and a pipeline returning `redis::RedisResult`, for crates that set `error = "redis"` | `bulk`, `error`, `library`, `pipeline`, `script` |
//! | `auto_pipeline` | [`AutoPipeline`]: concurrent commands written together, one batch per round trip (feature `aio`), each recorded by `trace` | `compat`, `trace` |
//!
//! Where the next features plug in: a connection type of evalsha's own (auto-pipelining)
//! is a new kind in `connection` (and a transport if it needs one); a metric or span per
//! call and per load is `trace`, called from `invoke` around the call and at the load (an
//! auto-pipelining connection reports each batch it writes with `trace::batch`).
//! Exactly once (`once`) changes no step of the flow: a tokened call is an ordinary call
//! of another script (the script wrapped to record its reply, `Script::tokened`) with one
//! key and two arguments more, and `connection` sends it again after an unknown outcome
//! as `once::Resends` decides.

#![warn(missing_docs)]

// The `redis` crate this build uses, chosen by the features `redis-1` (default) and
// `redis-2`. An `extern crate .. as redis` at the crate root puts `redis` in the extern
// prelude, so every `use redis::..` below, and the generated code's
// `::evalsha::__private::redis`, name that one. With both features on (`--all-features`),
// redis 1.x is used: the workspace's own tests and the connection pools are on 1.x.
// `pub` (hidden) so that `__private` can re-export it.
#[cfg(feature = "redis-1")]
#[doc(hidden)]
pub extern crate redis1 as redis;
#[cfg(all(feature = "redis-2", not(feature = "redis-1")))]
#[doc(hidden)]
pub extern crate redis2 as redis;
#[cfg(not(any(feature = "redis-1", feature = "redis-2")))]
compile_error!(
    "evalsha needs one of its features `redis-1` (the default, for redis 1.x) or `redis-2` \
     (for redis 2.x, with `default-features = false`)"
);

#[cfg(feature = "aio")]
mod auto_pipeline;
mod bulk;
mod call;
#[cfg(feature = "cluster")]
mod cluster;
mod compat;
mod connection;
mod error;
mod flight;
pub mod functions;
mod invoke;
mod library;
mod once;
mod pipeline;
mod plain;
mod ran;
pub mod redis_result;
mod resp;
mod script;
mod slot;
mod timer;
mod trace;
mod transport;

#[cfg(feature = "aio")]
pub use auto_pipeline::{AutoPipeline, Multiplexed};
pub use bulk::{loaded, preload};
#[cfg(feature = "aio")]
pub use bulk::{loaded_async, preload_async};
pub use call::{Call, CallError};
pub use error::{Error, ErrorKind, PIPELINE};
pub use library::Library;
pub use once::Token;
pub use pipeline::Pipeline;
pub use ran::Ran;
pub use script::{Reload, Script};
pub use slot::slot as hash_slot;
#[cfg(feature = "metrics")]
pub use trace::describe_metrics;

/// Items used by the code `include_script!` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use redis;
}

#[cfg(test)]
mod layers {
    //! Checks the layer table of the crate docs against the code (see "Layers").

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The table: each module and the modules it may use, in order.
    fn table() -> Vec<(String, BTreeSet<String>)> {
        let docs = include_str!("lib.rs");
        let name = |cell: &str| cell.trim().trim_matches(['`', '[', ']']).to_owned();
        docs.lines()
            .filter_map(|line| line.strip_prefix("//! | "))
            .filter(|row| !row.starts_with("module") && !row.starts_with("---"))
            .map(|row| {
                let cells: Vec<&str> = row.trim_end_matches('|').split(" | ").collect();
                let uses = cells.last().unwrap_or(&"").split(',').map(name);
                (name(cells[0]), uses.filter(|u| !u.is_empty()).collect())
            })
            .collect()
    }

    /// The modules each module's code names through `crate::`, outside comments and its
    /// tests.
    fn uses(src: &Path, modules: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
        // Items re-exported at the root, by the module that defines them.
        let roots = [
            ("Call", "call"),
            ("CallError", "call"),
            ("Error", "error"),
            ("ErrorKind", "error"),
            ("PIPELINE", "error"),
            ("Library", "library"),
            ("Token", "once"),
            ("Pipeline", "pipeline"),
            ("Ran", "ran"),
            ("Reload", "script"),
            ("Script", "script"),
            ("hash_slot", "slot"),
        ];
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut files = vec![src.to_path_buf()];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let relative = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let module = relative.trim_end_matches(".rs").split('/').next().unwrap();
            if module == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
            let used = out.entry(module.to_owned()).or_default();
            for line in code.lines() {
                let line = line.split("//").next().unwrap();
                for (at, _) in line.match_indices("crate::") {
                    let rest = &line[at + "crate::".len()..];
                    let end = rest
                        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    let name = &rest[..end];
                    let target = roots
                        .iter()
                        .find_map(|&(item, module)| (item == name).then_some(module))
                        .unwrap_or(name);
                    assert!(modules.contains(target), "{relative}: crate::{name}?");
                    if target != module {
                        used.insert(target.to_owned());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn layers() {
        let table = table();
        let modules: BTreeSet<String> = table.iter().map(|(m, _)| m.clone()).collect();
        assert!(modules.len() > 10, "the layer table was not found");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let uses = uses(&src, &modules);
        assert_eq!(
            uses.keys().collect::<BTreeSet<_>>(),
            modules.iter().collect::<BTreeSet<_>>(),
            "every module has one row in the layer table"
        );
        let mut above = BTreeSet::new();
        for (module, may) in &table {
            for used in may {
                assert!(
                    above.contains(used),
                    "{module} may use {used}, which is not above it"
                );
            }
            let extra: Vec<_> = uses[module].difference(may).collect();
            assert!(
                extra.is_empty(),
                "{module} uses {extra:?}, not in its row of the layer table"
            );
            above.insert(module.clone());
        }
    }
}
