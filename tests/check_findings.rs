//! What the compile-time checks find in real scripts is real: each `run` line of
//! tests/corpus/FINDINGS runs a corpus script (fetched into target/corpus by
//! `.ci/fetch-corpus`) with a line of Lua appended, on the server, and the server raises
//! the error that line names, at the line the check reported.

use evalsha_testkit::Server;

#[test]
fn every_finding_in_real_scripts_fails_on_the_server() {
    let root = env!("CARGO_MANIFEST_DIR");
    let listed = std::fs::read_to_string(format!("{root}/tests/corpus/FINDINGS")).unwrap();
    let server = Server::start();
    let mut con = server.connection();
    let mut ran = 0;
    for line in listed.lines().filter_map(|l| l.strip_prefix("run ")) {
        let parts: Vec<&str> = line.split(" | ").collect();
        let [file, lua, error] = parts[..] else {
            panic!("FINDINGS: `run FILE | LUA | ERROR`, got {line:?}");
        };
        let path = format!("{root}/target/corpus/{file}");
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("{path}: {err}; run .ci/fetch-corpus"));
        let result: redis::RedisResult<redis::Value> = redis::cmd("EVAL")
            .arg(format!("{source}\n{lua}"))
            .arg(0)
            .query(&mut con);
        let err = result.expect_err(file).to_string();
        assert!(err.contains(error), "{file}: {error:?} not in {err:?}");
        ran += 1;
    }
    assert!(ran > 0, "no `run` line in tests/corpus/FINDINGS");
}
