--- Returns the count and the TTL; Redis keeps only the count.
---@key counter
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
return n, ttl
