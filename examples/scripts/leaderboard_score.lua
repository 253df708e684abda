--- Adds points to a player's score.
---@key board
---@arg player string
---@arg points f64
---@return f64       the player's new score
return redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
