//! The real-project corpus (tests/corpus/SOURCES, fetched by `.ci/fetch-corpus`): every
//! script compiled through `include_script!` (BullMQ's and Bull's with their `@include`d
//! fragments), its `SHA1` equal to the server's `SCRIPT LOAD`, and composed BullMQ
//! commands run with the arguments BullMQ passes.

use evalsha_corpus::SCRIPTS;
use evalsha_testkit::{Server, requires};

fn fetched() {
    assert!(
        evalsha_corpus::fetched(),
        "the corpus is not in target/corpus: run .ci/fetch-corpus, then build again"
    );
}

#[test]
fn the_corpus_has_at_least_150_scripts_from_5_projects() {
    fetched();
    assert!(SCRIPTS.len() >= 150, "{} scripts", SCRIPTS.len());
    let mut projects: Vec<&str> = SCRIPTS
        .iter()
        .map(|(package, _)| package.rsplit_once('-').unwrap().0)
        .collect();
    projects.sort();
    projects.dedup();
    assert!(projects.len() >= 5, "{projects:?}");
}

#[test]
fn every_sha1_is_what_the_server_returns() {
    fetched();
    let server = Server::start();
    let mut con = server.connection();
    let shebang = requires(&server, 7, "SCRIPT LOAD of `#!lua` scripts in the corpus");
    let mut checked = 0;
    for (package, script) in SCRIPTS {
        let script = script();
        if script.source().starts_with("#!") && !shebang {
            continue;
        }
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(script.source())
            .query(&mut con)
            .unwrap_or_else(|e| panic!("{package} {}: {e}", script.name()));
        assert_eq!(sha, script.sha1(), "{package} {}", script.name());
        checked += 1;
    }
    assert!(checked >= 150, "{checked}");
}

#[test]
fn composed_scripts_hold_their_fragments_and_no_include_lines() {
    fetched();
    let mut composed = 0;
    for (package, script) in SCRIPTS {
        let script = script();
        let file = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(script.name()),
        )
        .unwrap();
        if !file.contains("@include") {
            assert_eq!(script.source(), file, "{package} {}", script.name());
            continue;
        }
        composed += 1;
        assert!(
            script.source().len() > file.len(),
            "{package} {}",
            script.name()
        );
        for line in script.source().lines() {
            let l = line.trim_start_matches('-').trim_start();
            assert!(
                !(line.starts_with("--") && l.starts_with("@include")),
                "{package} {}: {line}",
                script.name()
            );
        }
    }
    // BullMQ's commands nearly all include fragments, as do several of Bull's.
    assert!(composed >= 50, "{composed} composed scripts");
}

/// BullMQ's npm package ships, beside `commands/*.lua`, what its own script loader makes
/// of each command (`scripts/*.js`, the composed text in a template literal, blank lines
/// dropped): evalsha's composition has the same lines in the same order, every fragment
/// inserted once where BullMQ inserts it.
#[test]
fn bullmq_commands_compose_as_bullmqs_own_loader_composes_them() {
    fetched();
    let lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut compared = 0;
    for (package, script) in SCRIPTS {
        let script = script();
        if *package != "bullmq-6.7.0" {
            continue;
        }
        let js = script
            .name()
            .replace("/commands/", "/scripts/")
            .replace(".lua", ".js");
        let js = std::fs::read_to_string(root.join(&js)).unwrap_or_else(|e| panic!("{js}: {e}"));
        let start = js.find("const content = `").unwrap() + "const content = `".len();
        let end = start + js[start..].find("`;\n").unwrap();
        let theirs = js[start..end]
            .replace("\\`", "`")
            .replace("\\${", "${")
            .replace("\\\\", "\\");
        assert_eq!(lines(script.source()), lines(&theirs), "{}", script.name());
        compared += 1;
    }
    assert_eq!(compared, 64);
}

#[cfg(not(corpus_missing))]
mod bullmq {
    //! Composed BullMQ commands, run with the arguments BullMQ 6.7's `scripts.ts` passes.

    use evalsha::ErrorKind;
    use evalsha_testkit::Server;
    use redis::Value;

    evalsha::include_script!(
        "../../target/corpus/bullmq-6.7.0/package/dist/cjs/commands/addStandardJob-9.lua"
    );
    evalsha::include_script!(
        "../../target/corpus/bullmq-6.7.0/package/dist/cjs/commands/moveToActive-11.lua"
    );
    evalsha::include_script!(
        "../../target/corpus/bullmq-6.7.0/package/dist/cjs/commands/getCounts-1.lua"
    );
    // The largest: 39 files (38 fragments).
    evalsha::include_script!(
        "../../target/corpus/bullmq-6.7.0/package/dist/cjs/commands/moveToFinished-14.lua"
    );

    /// Just enough MessagePack for BullMQ's packed arguments (msgpackr on the JS side,
    /// `cmsgpack.unpack` in the scripts).
    enum Pack<'a> {
        Nil,
        Str(&'a str),
        Int(i64),
        Array(Vec<Pack<'a>>),
        Map(Vec<(&'a str, Pack<'a>)>),
    }

    fn pack(value: &Pack, out: &mut Vec<u8>) {
        match value {
            Pack::Nil => out.push(0xc0),
            Pack::Str(s) => {
                assert!(s.len() < 32);
                out.push(0xa0 | s.len() as u8);
                out.extend_from_slice(s.as_bytes());
            }
            Pack::Int(n) => {
                out.push(0xd3);
                out.extend_from_slice(&n.to_be_bytes());
            }
            Pack::Array(items) => {
                out.push(0x90 | items.len() as u8);
                items.iter().for_each(|v| pack(v, out));
            }
            Pack::Map(entries) => {
                out.push(0x80 | entries.len() as u8);
                for (k, v) in entries {
                    pack(&Pack::Str(k), out);
                    pack(v, out);
                }
            }
        }
    }

    fn packed(value: Pack) -> Vec<u8> {
        let mut out = Vec::new();
        pack(&value, &mut out);
        out
    }

    const Q: &str = "bull:q:";

    fn key(name: &str) -> String {
        format!("{Q}{name}")
    }

    fn add(con: &mut redis::Connection, name: &str, data: &str) -> Result<String, evalsha::Error> {
        // Queue.addStandardJob: keys wait, paused, meta, id, completed, delayed, active,
        // events, marker; args [prefix, custom id, name, timestamp, parentKey,
        // parentDependenciesKey, parent, repeatJobKey, deduplicationKey,
        // deferParentRelease], the JSON data, the packed options.
        let args = packed(Pack::Array(vec![
            Pack::Str(Q),
            Pack::Str(""),
            Pack::Str(name),
            Pack::Int(1_700_000_000_000),
            Pack::Nil,
            Pack::Nil,
            Pack::Nil,
            Pack::Nil,
            Pack::Nil,
            Pack::Nil,
        ]));
        let opts = packed(Pack::Map(vec![("attempts", Pack::Int(1))]));
        AddStandardJob9.run(
            con,
            key("wait"),
            key("paused"),
            key("meta"),
            key("id"),
            key("completed"),
            key("delayed"),
            key("active"),
            key("events"),
            key("marker"),
            args,
            data,
            opts,
        )
    }

    #[test]
    fn add_jobs_move_one_to_active_then_complete_it_and_fetch_the_next() {
        let server = Server::start();
        let mut con = server.connection();

        assert_eq!(add(&mut con, "email", r#"{"to":"a@b.c"}"#).unwrap(), "1");
        assert_eq!(add(&mut con, "email", r#"{"to":"d@e.f"}"#).unwrap(), "2");
        // storeJob (includes/storeJob.lua) wrote the job hash.
        let name: String = redis::cmd("HGET")
            .arg(key("1"))
            .arg("name")
            .query(&mut con)
            .unwrap();
        assert_eq!(name, "email");
        let counts: Vec<i64> = GetCounts1.run(&mut con, Q, &["wait", "active"]).unwrap();
        assert_eq!(counts, [2, 0]);

        // Worker.moveToActive: keys wait, active, prioritized, events, stalled, limiter,
        // delayed, paused, meta, pc, marker; args prefix, timestamp, packed options.
        let opts = packed(Pack::Map(vec![
            ("token", Pack::Str("worker-token:1")),
            ("lockDuration", Pack::Int(30_000)),
        ]));
        let reply: Value = MoveToActive11
            .run(
                &mut con,
                key("wait"),
                key("active"),
                key("prioritized"),
                key("events"),
                key("stalled"),
                key("limiter"),
                key("delayed"),
                key("paused"),
                key("meta"),
                key("pc"),
                key("marker"),
                Q,
                1_700_000_001,
                &opts,
            )
            .unwrap();
        // prepareJobForProcessing (an include) answers {HGETALL of the job, id, 0, 0}.
        let Value::Array(items) = reply else {
            panic!("{reply:?}")
        };
        let fields: Vec<String> = redis::from_redis_value(items[0].clone()).unwrap();
        let id: String = redis::from_redis_value(items[1].clone()).unwrap();
        assert_eq!(id, "1", "FIFO: the first job added");
        assert!(
            fields.contains(&r#"{"to":"a@b.c"}"#.to_owned()),
            "{fields:?}"
        );
        // The lock the include took, with the worker's token.
        let lock: String = redis::cmd("GET")
            .arg(key("1:lock"))
            .query(&mut con)
            .unwrap();
        assert_eq!(lock, "worker-token:1");
        let counts: Vec<i64> = GetCounts1.run(&mut con, Q, &["wait", "active"]).unwrap();
        assert_eq!(counts, [1, 1]);

        // Worker.moveToCompleted with fetch-next: keys wait, active, prioritized, events,
        // stalled, limiter, delayed, paused, meta, pc, completed, the job, metrics,
        // marker; args job id, timestamp, "returnvalue", the value, "completed",
        // fetch next "1", prefix, packed options, packed fields to update ("").
        let opts = packed(Pack::Map(vec![
            ("token", Pack::Str("worker-token:1")),
            ("keepJobs", Pack::Map(vec![("count", Pack::Int(-1))])),
            ("lockDuration", Pack::Int(30_000)),
            ("attempts", Pack::Int(1)),
            ("maxMetricsSize", Pack::Str("")),
        ]));
        let reply: Value = MoveToFinished14
            .run(
                &mut con,
                key("wait"),
                key("active"),
                key("prioritized"),
                key("events"),
                key("stalled"),
                key("limiter"),
                key("delayed"),
                key("paused"),
                key("meta"),
                key("pc"),
                key("completed"),
                key("1"),
                key("metrics"),
                key("marker"),
                "1",
                1_700_000_002,
                "returnvalue",
                r#""sent""#,
                "completed",
                "1",
                Q,
                &opts,
                "",
            )
            .unwrap();
        // removeLock (an include) checked the token and released the lock; the job is
        // completed with its return value; fetchNextJob (another) moved job 2 to active.
        let Value::Array(items) = reply else {
            panic!("{reply:?}")
        };
        let next: String = redis::from_redis_value(items[1].clone()).unwrap();
        assert_eq!(next, "2");
        let returned: String = redis::cmd("HGET")
            .arg(key("1"))
            .arg("returnvalue")
            .query(&mut con)
            .unwrap();
        assert_eq!(returned, r#""sent""#);
        let counts: Vec<i64> = GetCounts1
            .run(&mut con, Q, &["wait", "active", "completed"])
            .unwrap();
        assert_eq!(counts, [0, 1, 1]);
        let lock: Option<String> = redis::cmd("GET")
            .arg(key("1:lock"))
            .query(&mut con)
            .unwrap();
        assert_eq!(lock, None);
    }

    #[test]
    fn a_runtime_error_in_an_included_fragment_names_that_fragment_and_line() {
        let server = Server::start();
        let mut con = server.connection();
        // The queue's meta key holds a string: getOrSetMaxEvents (an include) fails on
        // its HGET.
        redis::cmd("SET")
            .arg(key("meta"))
            .arg("not a hash")
            .exec(&mut con)
            .unwrap();
        // Cold (the error comes from the retry after the load), then warm.
        let cold = add(&mut con, "email", "{}").unwrap_err();
        let err = add(&mut con, "email", "{}").unwrap_err();
        assert_eq!(cold.kind(), err.kind(), "{cold}");

        let fragment = "../../target/corpus/bullmq-6.7.0/package/dist/cjs/commands/includes/getOrSetMaxEvents.lua";
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(fragment),
        )
        .unwrap();
        let line = text.lines().position(|l| l.contains("\"HGET\"")).unwrap() as u32 + 1;
        assert_eq!(
            err.kind(),
            &ErrorKind::Script {
                line: Some(line),
                file: fragment
            },
            "{err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("includes/getOrSetMaxEvents.lua:{line}")),
            "{err}"
        );
        assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    }
}
