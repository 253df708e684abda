//! Targeting Redis 7.0: Redis 8.0 commands and `os.clock` are errors naming Redis 7.0.
evalsha::include_script!("../scripts/hgetex.lua");
evalsha::include_library!("../scripts/hash_ttl.lua");
evalsha::include_script!("../scripts/os_clock.lua");
