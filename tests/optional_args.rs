//! Optional trailing arguments: `None` sends nothing, so the script sees `nil` and takes
//! its "absent" branch (a counter per branch says which ran), whether declared
//! (`---@arg limit? i64`) or inferred from a header-less script's `if ARGV[2] then`, or
//! from a function's callback's `if args[2] then`.

use evalsha::{ErrorKind, Ran};
use evalsha_testkit::{Server, Stats, counter, requires, reset_stats};

evalsha::include_script!("tests/scripts/requeue.lua");
evalsha::include_script!("tests/scripts/window.lua");
evalsha::include_script!("tests/scripts/fetch_field.lua");
evalsha::include_library!("tests/libraries/optional_fn.lua");

#[test]
fn an_inferred_optional_none_reaches_the_script_as_nil() {
    let server = Server::start();
    let mut con = server.connection();
    let absent: String = Requeue
        .run(&mut con, "given", "absent", "job-1", None::<&str>)
        .unwrap();
    assert_eq!(absent, "absent:job-1");
    assert_eq!(
        (counter(&mut con, "given"), counter(&mut con, "absent")),
        (0, 1)
    );
    let given: String = Requeue
        .run(&mut con, "given", "absent", "job-1", Some(5))
        .unwrap();
    assert_eq!(given, "given:5");
    assert_eq!(
        (counter(&mut con, "given"), counter(&mut con, "absent")),
        (1, 1)
    );
}

#[test]
fn a_functions_inferred_optional_and_tail_reach_the_callback() {
    let server = Server::start();
    if !requires(&server, 7, "Redis Functions") {
        return;
    }
    let mut con = server.connection();
    let absent: String = Evoptional
        .requeue(&mut con, "given", "absent", "job-1", None::<&str>)
        .unwrap();
    assert_eq!(absent, "absent:job-1");
    let given: String = Evoptional
        .requeue(&mut con, "given", "absent", "job-1", Some(5))
        .unwrap();
    assert_eq!(given, "given:5");
    assert_eq!(
        (counter(&mut con, "given"), counter(&mut con, "absent")),
        (1, 1)
    );
    // The tail: any number of values after the fixed first argument, mixed types.
    let n: i64 = Evoptional
        .tag(&mut con, "tags", "t", ("a", 2, "c"))
        .unwrap();
    assert_eq!(n, 3);
    let n: i64 = Evoptional
        .tag(&mut con, "tags", "u", Vec::<String>::new())
        .unwrap();
    assert_eq!(n, 3, "an empty tail adds nothing");
}

#[test]
fn a_declared_optional_none_reaches_the_script_as_nil() {
    let server = Server::start();
    let mut con = server.connection();
    assert_eq!(
        Window.run(&mut con, "n", 1, None, None).unwrap(),
        "1:no-limit"
    );
    assert_eq!(
        Window.run(&mut con, "n", 1, Some(1), None).unwrap(),
        "2:over"
    );
    assert_eq!(
        Window.run(&mut con, "n", 1, Some(9), Some("w")).unwrap(),
        "w:3"
    );
    assert_eq!(counter(&mut con, "n"), 3);
}

#[test]
fn a_value_after_a_none_is_refused_before_sending() {
    let server = Server::start();
    let mut con = server.connection();
    reset_stats(&mut con);
    let err = Window.run(&mut con, "n", 1, None, Some("w")).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::OptionalGap {
            missing: "limit",
            given: "label"
        }
    );
    assert_eq!(err.ran(), Ran::No);
    assert!(err.to_string().contains("nothing was sent"), "{err}");
    assert_eq!(Stats::read(&mut con).calls("evalsha"), 0);
    assert_eq!(counter(&mut con, "n"), 0);
}

#[test]
fn an_argument_tested_only_to_refuse_its_absence_is_required() {
    // fetch_field.lua returns an error when ARGV[1] or ARGV[2] is missing: plain
    // parameters, not `Option`s (this would not compile were they inferred optional).
    let server = Server::start();
    let mut con = server.connection();
    let _: () = redis::cmd("HSET")
        .arg("job:7")
        .arg("state")
        .arg("done")
        .query(&mut con)
        .unwrap();
    let state: Option<String> = FetchField.run(&mut con, "job", "7", "state").unwrap();
    assert_eq!(state.as_deref(), Some("done"));
    let missing: Option<String> = FetchField.run(&mut con, "job", "8", "state").unwrap();
    assert_eq!(missing, None);
}
