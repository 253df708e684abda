--- Adds points to a player and keeps the board at a maximum size.
---@key board
---@arg player string
---@arg points f64
---@arg keep i64
---@return f64 the player's new score
local score = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
return score
