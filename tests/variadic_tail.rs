//! A header-less script with fixed leading arguments and a variadic tail (`for i = 3,
//! #ARGV`, `table.remove(ARGV, 1)` twice, `unpack(KEYS, 2)`): the leading ones keep their
//! own parameters (`arg1`, `arg2`), and the tail is any `ToRedisArgs`, so a tuple of mixed
//! types or a `Vec` passes without building byte vectors.

use evalsha_testkit::Server;

evalsha::include_script!("tests/scripts/push_rest.lua");
evalsha::include_script!("tests/scripts/shift_rest.lua");

#[test]
fn leading_arguments_keep_their_places_and_a_mixed_tail_flattens() {
    let server = Server::start();
    let mut con = server.connection();
    let (now, force, len): (String, String, i64) = PushRest
        .run(&mut con, "q", 1700u64, true, (5u64, "x", false, 2.5f64))
        .unwrap();
    assert_eq!((now.as_str(), force.as_str(), len), ("1700", "1", 4));
    let pushed: Vec<String> = redis::cmd("LRANGE")
        .arg("q")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(pushed, ["5", "x", "0", "2.5"]);
    // A Vec, a slice, or nothing at all.
    let (_, _, len): (String, String, i64) = PushRest
        .run(
            &mut con,
            "q",
            1,
            false,
            vec!["a".to_owned(), "b".to_owned()],
        )
        .unwrap();
    assert_eq!(len, 6);
    let (_, _, len): (String, String, i64) =
        PushRest.run(&mut con, "q", 1, false, &["c"][..]).unwrap();
    assert_eq!(len, 7);
    let (_, _, len): (String, String, i64) = PushRest
        .run(&mut con, "q", 1, false, Vec::<u64>::new())
        .unwrap();
    assert_eq!(len, 7);
}

#[test]
fn table_remove_and_unpack_from_an_index_show_the_tail() {
    let server = Server::start();
    let mut con = server.connection();
    redis::cmd("SET").arg("old1").arg(1).exec(&mut con).unwrap();
    redis::cmd("SET").arg("old2").arg(1).exec(&mut con).unwrap();
    let added: i64 = ShiftRest
        .run(&mut con, "k", ("old1", "old2"), "f", 3, (1, "two", 3.0))
        .unwrap();
    assert_eq!(added, 1);
    let values: (i64, i64, i64) = redis::pipe()
        .cmd("GET")
        .arg("k")
        .cmd("HGET")
        .arg("k:h")
        .arg("f")
        .cmd("EXISTS")
        .arg("old1")
        .arg("old2")
        .query(&mut con)
        .unwrap();
    assert_eq!(
        values,
        (3, 3, 0),
        "count 3, three tail values, both old keys deleted"
    );
}
