#!lua flags=no-writes
--- Only reads in a read-only script.
---@key counter
local v = redis.call('GET', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
return {v, ttl, redis.call('EXISTS', KEYS[1])}
