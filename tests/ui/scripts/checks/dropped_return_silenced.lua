--- The same return, switched off for its line.
---@key counter
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
return n, ttl ---@diagnostic disable-line: dropped-return
