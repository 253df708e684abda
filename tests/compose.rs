//! Scripts composed from files with `--- @include "path"`: the composed text is
//! `SOURCE` and `SHA1` (what the server loads), a fragment shared by two others is
//! inserted once, and a Lua error raised inside a fragment names that fragment's file and
//! line. Also: a banner of dashes is not a header, a header of free text only declares
//! no parameters, and camelCase file names make UpperCamelCase types.

use evalsha::ErrorKind;
use evalsha_testkit::Server;

// `takeJob.lua` → `TakeJob`.
evalsha::include_script!("tests/scripts/compose/takeJob.lua");
// An `@include` line inside the header.
evalsha::include_script!("tests/scripts/compose/headed_include.lua");
// Starts with a banner, so it has no header: one key and variadic arguments, counted
// from the script.
evalsha::include_script!("tests/scripts/banner_push.lua");
// Starts with the header an editor's file template writes (free text, no tags): it
// documents the type; the key and argument are counted from the script.
evalsha::include_script!("tests/scripts/emmylua_release.lua");

const FRAGMENT: &str = "tests/scripts/compose/includes/lock.lua";

#[test]
fn the_composed_text_is_the_source_and_each_fragment_is_in_it_once() {
    let source = TakeJob::SOURCE;
    assert_eq!(source.matches("local rcall = redis.call").count(), 1);
    assert_eq!(source.matches("local function popJob").count(), 1);
    assert_eq!(source.matches("local function lockJob").count(), 1);
    assert!(!source.contains("@include"), "{source}");
    // Shared fragment first (pop includes it), then pop, then lock, then the script.
    let at = |s: &str| source.find(s).unwrap();
    assert!(
        at("local rcall") < at("popJob(queue") && at("popJob(queue") < at("lockJob(job, token")
    );
    assert_eq!(
        TakeJob::script().origin(1),
        ("tests/scripts/compose/takeJob.lua", 1)
    );
}

#[test]
fn a_composed_script_runs_and_its_sha1_is_the_servers() {
    let server = Server::start();
    let mut con = server.connection();
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(TakeJob::SOURCE)
        .query(&mut con)
        .unwrap();
    assert_eq!(sha, TakeJob::SHA1);

    redis::cmd("RPUSH")
        .arg("q")
        .arg("job1")
        .exec(&mut con)
        .unwrap();
    let job = TakeJob
        .run(&mut con, "q", "active", "worker-1", 10_000)
        .unwrap();
    assert_eq!(job.as_deref(), Some("job1"));
    let lock: String = redis::cmd("GET").arg("lock:job1").query(&mut con).unwrap();
    assert_eq!(lock, "worker-1", "the fragment's lockJob ran");
    assert_eq!(
        TakeJob
            .run(&mut con, "q", "active", "worker-1", 10_000)
            .unwrap(),
        None
    );
}

#[test]
fn a_lua_error_in_a_fragment_names_the_fragment_and_its_line() {
    let server = Server::start();
    let mut con = server.connection();
    for attempt in ["cold", "warm"] {
        redis::cmd("RPUSH")
            .arg("q")
            .arg("poison")
            .exec(&mut con)
            .unwrap();
        let err = TakeJob
            .run(&mut con, "q", "active", "worker-1", 10_000)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::Script {
                line: Some(5),
                file: FRAGMENT
            },
            "{attempt}: {err}"
        );
        assert!(
            err.to_string().contains(&format!("failed at {FRAGMENT}:5")),
            "{attempt}: {err}"
        );
        assert_eq!(err.script(), "tests/scripts/compose/takeJob.lua");
    }
    // In a pipeline too.
    redis::cmd("RPUSH")
        .arg("q")
        .arg("poison")
        .exec(&mut con)
        .unwrap();
    let mut pipe = evalsha::Pipeline::new();
    pipe.script(TakeJob.call("q", "active", "worker-1", 10_000));
    let results = pipe.query_each(&mut con).unwrap();
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.line(), Some(5), "{err}");
    assert!(err.to_string().contains(FRAGMENT), "{err}");
}

#[test]
fn a_banner_is_not_a_header() {
    let server = Server::start();
    let mut con = server.connection();
    let len: i64 = BannerPush.run(&mut con, "list", &["a", "b", "c"]).unwrap();
    assert_eq!(len, 3);
}

#[test]
fn a_header_of_text_only_documents_and_parameters_come_from_the_script() {
    let server = Server::start();
    let mut con = server.connection();
    redis::cmd("SET")
        .arg("lock")
        .arg("me")
        .exec(&mut con)
        .unwrap();
    let kept: i64 = EmmyluaRelease.run(&mut con, "lock", "you").unwrap();
    assert_eq!(kept, 0);
    let released: i64 = EmmyluaRelease.run(&mut con, "lock", "me").unwrap();
    assert_eq!(released, 1);
}

#[test]
fn an_include_inside_the_header_is_an_include() {
    let server = Server::start();
    let mut con = server.connection();
    assert_eq!(HeadedInclude.run(&mut con, "hits").unwrap(), 1);
    assert!(HeadedInclude::SOURCE.contains("local rcall = redis.call"));
}

#[cfg(feature = "aio")]
#[tokio::test]
async fn a_lua_error_in_a_fragment_names_the_fragment_async() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    redis::cmd("RPUSH")
        .arg("q")
        .arg("poison")
        .exec_async(&mut con)
        .await
        .unwrap();
    let err = TakeJob
        .run_async(&mut con, "q", "active", "worker-1", 10_000)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Script {
            line: Some(5),
            file: FRAGMENT
        },
        "{err}"
    );
}
