//! The Redis Functions libraries of the real-project corpus (`library` lines of
//! tests/corpus/SOURCES, fetched by `.ci/fetch-corpus`): each compiled through
//! `include_library!`, loaded with `FUNCTION LOAD` side by side (content-addressed names),
//! each of its functions registered under this build's suffix, and typed calls of some.

use evalsha_corpus::LIBRARIES;
#[cfg(not(corpus_missing))]
use evalsha_corpus::libraries::*;
use evalsha_testkit::{Server, function_list, requires};

fn fetched() {
    assert!(
        evalsha_corpus::fetched(),
        "the corpus is not in target/corpus: run .ci/fetch-corpus, then build again"
    );
}

/// A server with Redis Functions, or `None` (the reason printed) on Redis 6.2.
fn server() -> Option<Server> {
    let server = Server::start();
    requires(&server, 7, "Redis Functions libraries of the corpus").then_some(server)
}

#[test]
fn the_corpus_has_at_least_12_libraries_from_6_projects() {
    fetched();
    assert!(LIBRARIES.len() >= 12, "{} libraries", LIBRARIES.len());
    let mut projects: Vec<&str> = LIBRARIES
        .iter()
        .map(|(package, _, _)| package.rsplit_once('-').unwrap().0)
        .collect();
    projects.sort();
    projects.dedup();
    assert!(projects.len() >= 6, "{projects:?}");
}

/// Every library loads, all at once and next to each other: four are named `mylib` in
/// their files and several register a `myfunc`, which the content-addressed names keep
/// apart. Every function the server lists carries the library's suffix, so evalsha
/// renamed every registration, and each library registers as many functions as its file
/// has `register_function` calls.
#[test]
fn every_library_loads_side_by_side_and_every_function_is_renamed() {
    fetched();
    let Some(server) = server() else { return };
    let mut con = server.connection();
    let libraries: Vec<&'static evalsha::Library> = LIBRARIES.iter().map(|(_, _, l)| l()).collect();
    evalsha::functions::load(&mut con, &libraries).unwrap();
    // Loading again is fine: the server has each version.
    evalsha::functions::load(&mut con, &libraries).unwrap();
    let listed = function_list(&mut con);
    assert_eq!(listed.len(), LIBRARIES.len(), "{listed:?}");
    for (package, out, library) in LIBRARIES {
        let library = library();
        let (_, functions) = listed
            .iter()
            .find(|(name, _)| name == library.loaded_name())
            .unwrap_or_else(|| panic!("{package} {out}: {} not loaded", library.loaded_name()));
        let suffix = &library.loaded_name()[library.name().len()..];
        assert_eq!(suffix.len(), 13, "{package} {out}: `_` and 12 hex digits");
        for function in functions {
            assert!(function.ends_with(suffix), "{package} {out}: {function}");
        }
        let registered = library.source().matches("register_function").count();
        assert_eq!(
            functions.len(),
            registered,
            "{package} {out}: {functions:?}"
        );
    }
}

/// Typed calls of libraries from four projects, as the generated methods type them from
/// how each callback uses its parameters. (Without the corpus these types do not exist;
/// the other tests then fail saying so.)
#[cfg(not(corpus_missing))]
#[test]
fn typed_calls_of_real_libraries() {
    fetched();
    let Some(server) = server() else { return };
    let mut con = server.connection();
    // rustis's example: INCRBY keys[1] by args[1].
    assert_eq!(
        rustis_0_27_2::Examples
            .bump::<i64>(&mut con, "n", 5)
            .unwrap(),
        5
    );
    assert_eq!(
        rustis_0_27_2::Examples
            .bump::<i64>(&mut con, "n", 2)
            .unwrap(),
        7
    );
    // coredis's docstring library.
    let echoed: String = coredis_6_9_0::Mylib.echo(&mut con, "hi").unwrap();
    assert_eq!(echoed, "hi");
    let pong: String = coredis_6_9_0::Mylib.ping(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    let n: String = coredis_6_9_0::Mylib.get(&mut con, "n").unwrap();
    assert_eq!(n, "7");
    // fakeredis's test library: a write, then a `no-writes` read (FCALL_RO).
    let ok: String = fakeredis_2_40_0::Mylib.set_key(&mut con, "k", "v").unwrap();
    assert_eq!(ok, "OK");
    let v: String = fakeredis_2_40_0::Mylib.get_key(&mut con, "k").unwrap();
    assert_eq!(v, "v");
    // redis-py's test library (`no-writes`, a `#!lua name=mylib ` line with a space).
    let echoed: String = redis_8_1_0::Mylib.myfunc(&mut con, "x").unwrap();
    assert_eq!(echoed, "x");
    let stats = evalsha_testkit::Stats::read(&mut con);
    assert_eq!(stats.calls("function|load"), 4, "one load per library");
    // get, get_key and myfunc are `no-writes`; myfunc, the first call of its library,
    // met `Function not found` and was retried after the load.
    assert_eq!(stats.calls("fcall_ro"), 4);
    assert_eq!(
        stats.calls("fcall"),
        5 + 3,
        "bump, bump, echo, ping, set_key + 3 retries"
    );
}

/// streaq's task queue as its worker drives it: `create_groups` makes the consumer group
/// of a priority's stream, `publish_task` stores a task and adds it to that stream, and
/// `read_streams` hands it to a consumer, in the shape of `XREADGROUP`'s reply.
#[cfg(not(corpus_missing))]
#[test]
fn streaqs_task_queue_publishes_and_reads_a_task() {
    fetched();
    let Some(server) = server() else { return };
    let mut con = server.connection();
    let q = streaq_7_2_0::Streaq;
    let stream = "streaq:stream:";
    let _: () = q
        .create_groups(&mut con, stream, "workers", &["high", "low"])
        .unwrap();
    let published: String = q
        .publish_task(
            &mut con,
            "streaq:stream:low",
            "streaq:queue:delayed",
            "streaq:task:t1",
            "streaq:dependents:",
            "streaq:dependencies:",
            "streaq:results:",
            "t1",
            "payload",
            "0",
            "0",
            "1700000000000",
            Vec::<String>::new(),
        )
        .unwrap();
    assert!(
        published.contains('-'),
        "the stream entry's id: {published}"
    );
    type Entries = Vec<(String, Vec<(String, Vec<String>)>)>;
    let entries: Entries = q
        .read_streams(
            &mut con,
            stream,
            "workers",
            "w1",
            "10",
            "60000",
            &["high", "low"],
        )
        .unwrap();
    assert_eq!(
        entries,
        vec![(
            "streaq:stream:low".to_owned(),
            vec![(
                published,
                vec![
                    "task_id".to_owned(),
                    "t1".to_owned(),
                    "enqueue_time".to_owned(),
                    "1700000000000".to_owned()
                ]
            )]
        )]
    );
    let data: String = redis::cmd("GET")
        .arg("streaq:task:t1")
        .query(&mut con)
        .unwrap();
    assert_eq!(data, "payload");
}
