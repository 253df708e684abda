#!lua flags=no-writes
--- Rank and score of one player, nil when absent.
---@key board
---@arg player string
---@return Option<(i64, String)>
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
if not rank then return nil end
return {rank + 1, redis.call('ZSCORE', KEYS[1], ARGV[1])}
