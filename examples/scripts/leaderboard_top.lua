#!lua flags=no-writes
--- The top `n` players with their rank and score. Read-only (sent as EVALSHA_RO, so it
--- may run on replicas).
---@key board
---@arg n i64
---@return Vec<(String, String)>   (player, score), best first
local flat = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {}
for i = 1, #flat, 2 do
  out[#out + 1] = {flat[i], flat[i + 1]}
end
return out
