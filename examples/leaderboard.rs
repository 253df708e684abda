//! A leaderboard read through a read-only script (`#!lua flags=no-writes`): evalsha sends
//! it as `EVALSHA_RO`, which Redis accepts on replicas too. Needs Redis 7.0 or newer:
//! older servers know neither script flags nor `EVALSHA_RO`.
//!
//! Run with `cargo run --example leaderboard`. It uses `REDIS_URL` when set; otherwise it
//! starts a throwaway `redis-server` on a free loopback port and stops it on exit.

evalsha::include_script!("examples/scripts/leaderboard_top.lua");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = evalsha_testkit::server_or_env();
    let mut con = redis::Client::open(url)?.get_connection()?;

    let info: String = redis::cmd("INFO").arg("server").query(&mut con)?;
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .unwrap_or("unknown")
        .trim()
        .to_owned();
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    println!("server: Redis {version}");
    if major < 7 {
        println!(
            "this example needs Redis 7.0 or newer (script flags and EVALSHA_RO); \
             Redis {version} would reject the script"
        );
        return Ok(());
    }
    assert!(LeaderboardTop::script().is_read_only());
    println!(
        "{} is read-only: sent as EVALSHA_RO",
        LeaderboardTop::script().name()
    );

    let board = format!("board:{}", std::process::id());
    for (player, score) in [("ada", 310), ("grace", 450), ("linus", 120), ("ken", 280)] {
        redis::cmd("ZADD")
            .arg(&board)
            .arg(score)
            .arg(player)
            .exec(&mut con)?;
    }

    let (top, rank) = LeaderboardTop.run(&mut con, &board, 3, "ken")?;
    println!("top 3:");
    for (place, (player, score)) in top.iter().enumerate() {
        println!("  {}. {player} {score}", place + 1);
    }
    println!("ken is #{}", rank.unwrap_or(0));
    assert_eq!(top[0], ("grace".to_owned(), 450));
    assert_eq!(top.len(), 3);
    assert_eq!(rank, Some(3));

    let (_, rank) = LeaderboardTop.run(&mut con, &board, 3, "nobody")?;
    println!("nobody's rank: {rank:?}");
    assert_eq!(rank, None);

    let calls: String = redis::cmd("INFO").arg("commandstats").query(&mut con)?;
    let ro = calls
        .lines()
        .find(|l| l.starts_with("cmdstat_evalsha_ro:"))
        .unwrap_or("cmdstat_evalsha_ro: none");
    println!("{ro}");
    assert!(ro.contains("calls="), "the reads went out as EVALSHA_RO");
    redis::cmd("DEL").arg(&board).exec(&mut con)?;
    Ok(())
}
