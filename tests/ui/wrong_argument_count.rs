// A call with a missing argument: the error shows the generated signature, with the
// parameters' names.
evalsha::include_script!(IncrBy = "../../../../tests/scripts/incr_by.lua");
evalsha::include_script!(Echo = "../../../../tests/scripts/echo.lua");

fn main() {
    let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    let mut con = client.get_connection().unwrap();
    let _ = IncrBy.run(&mut con, "counter");
    let _: Vec<String> = Echo.run(&mut con, "k", "a").unwrap();
}
