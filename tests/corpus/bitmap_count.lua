#!lua flags=no-writes
--- Counts set bits in a range of a bitmap (read-only).
---@key bitmap
---@arg start i64
---@arg stop i64
---@return i64
return redis.call('BITCOUNT', KEYS[1], ARGV[1], ARGV[2])
