--- Adds to a counter.
---@key counter      the counter to add to
---@arg by i64       how much to add
---@return i64
return redis.call("INCRBY", KEYS[1], ARGV[1])
