--- A bad type is one mistake: ARGV[1] is still declared.
---@key counter
---@arg step int
return redis.call("INCRBY", KEYS[1], ARGV[1])
