--- Commands in any case, through aliases, and a name held in a variable.
---@key counter
local call = redis.pcall
local name = 'incr'
call('incr', KEYS[1])
redis.call(name, KEYS[1])
return redis.call('Incr', KEYS[1])
