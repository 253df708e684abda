#!lua flags=no-writes
--- Reads the top of a leaderboard and one player's rank, in one round trip, without
--- writing: sent as EVALSHA_RO, so it may run on a replica.
---@key board           sorted set: player -> score
---@arg count i64       how many of the best players to return
---@arg player &str     the player whose rank is wanted
---@return (Vec<(String, i64)>, Option<i64>) the top players with scores, and the player's 1-based rank
local top = redis.call('ZREVRANGE', KEYS[1], 0, ARGV[1] - 1, 'WITHSCORES')
local best = {}
for i = 1, #top, 2 do
  best[#best + 1] = { top[i], tonumber(top[i + 1]) }
end
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[2])
if rank then rank = rank + 1 end
return { best, rank or false }
