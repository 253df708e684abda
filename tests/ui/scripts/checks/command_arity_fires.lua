--- Passes GET one argument too many and SET one too few.
---@key counter
local v = redis.call('GET', KEYS[1], 'extra')
redis.call('SET', KEYS[1])
return v
