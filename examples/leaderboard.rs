//! A leaderboard: scores written by one script, the top read by a read-only script
//! (`#!lua flags=no-writes`, sent as `EVALSHA_RO`, so it may run on a replica).
//! `EVALSHA_RO` needs Redis 7 (or Valkey); on older servers the example says so.
//!
//! Run with `cargo run --example leaderboard` (uses `REDIS_URL`, or starts a throwaway
//! server).

evalsha::include_script!("examples/scripts/leaderboard_score.lua");
evalsha::include_script!("examples/scripts/leaderboard_top.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;
    let board = format!("board:{}", std::process::id());
    for (player, points) in [("ann", 30.0), ("bob", 12.5), ("cyd", 41.0), ("ann", 20.0)] {
        let score = LeaderboardScore.run(&mut con, &board, player, points)?;
        println!("{player} +{points} → {score}");
    }
    assert!(LeaderboardTop::script().is_read_only());
    match LeaderboardTop.run(&mut con, &board, 2) {
        Ok(top) => {
            println!("top 2 (read through EVALSHA_RO):");
            for (rank, (player, score)) in top.iter().enumerate() {
                println!("  {}. {player} {score}", rank + 1);
            }
            assert_eq!(top[0].0, "ann");
            assert_eq!(top[1].0, "cyd");
        }
        Err(err) if err.to_string().contains("unknown command") => {
            println!("this server has no EVALSHA_RO (Redis 7+ or Valkey needed): {err}");
        }
        Err(err) => return Err(err.into()),
    }
    redis::cmd("DEL").arg(&board).exec(&mut con)?;
    Ok(())
}
