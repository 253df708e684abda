#!lua flags=no-writes
--- Reads, then writes in a script flagged read-only.
---@key counter
local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'v')
return v
