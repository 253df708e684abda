//! The reply type is the generated methods' only generic parameter: `run::<T>(con, ..)`
//! and `run_async::<T>(con, ..)`, as `redis::Script::invoke::<T>` is written. The
//! connection and the `impl ToRedisArgs` parameters are `impl Trait` in argument position.

use evalsha_testkit::Server;

evalsha::include_script!("tests/scripts/echo.lua");
evalsha::include_script!("tests/scripts/count_then_fail.lua");

#[test]
fn run_takes_the_reply_type_alone() {
    let server = Server::start();
    let mut con = server.connection();
    let echoed = Echo.run::<Vec<String>>(&mut con, "k", "a", 5).unwrap();
    assert_eq!(echoed, ["k", "a", "5"]);
    // Also on a `dyn ConnectionLike`.
    let dynamic: &mut dyn redis::ConnectionLike = &mut con;
    let err = CountThenFail.run::<()>(dynamic, "n", "boom").unwrap_err();
    assert_eq!(err.line(), Some(5));
}

#[tokio::test]
async fn run_async_takes_the_reply_type_alone() {
    let server = Server::start();
    let mut con = server.multiplexed().await;
    let echoed = Echo
        .run_async::<(String, String, u32)>(&mut con, "k", "a", 5)
        .await
        .unwrap();
    assert_eq!(echoed, ("k".into(), "a".into(), 5));
}
