#!lua flags=no-writes
--- Reads the top N players with scores (read-only: EVALSHA_RO).
---@key board
---@arg n i64
---@return Vec<String>
return redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
