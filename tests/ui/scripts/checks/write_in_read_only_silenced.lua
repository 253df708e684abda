#!lua flags=no-writes
--- The same write, switched off for its line.
---@key counter
local v = redis.call('GET', KEYS[1])
---@diagnostic disable-next-line: write-in-read-only
redis.call('SET', KEYS[1], 'v')
return v
