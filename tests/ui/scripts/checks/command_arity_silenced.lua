--- The same calls, switched off for their lines.
---@key counter
local v = redis.call('GET', KEYS[1], 'extra') ---@diagnostic disable-line: command-arity
---@diagnostic disable-next-line: command-arity
redis.call('SET', KEYS[1])
return v
