--- Adds to a counter and returns the new value.
---@key counter
---@arg by i64
return redis.call('INCRBY', KEYS[1], ARGV[1])
