--- Optional arguments that are not trailing, an optional key, a doubled Option.
---@key queue
---@key backup?
---@arg limit? u64
---@arg job string
---@arg since? Option<u64>
return redis.call('RPUSH', KEYS[1], ARGV[2])
