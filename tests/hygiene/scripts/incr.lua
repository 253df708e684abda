--- Adds to a counter.
---@key counter
---@arg by i64
---@return i64
return redis.call("INCRBY", KEYS[1], ARGV[1])
