--- Several values returned by a function inside the script, and a table from the script.
---@key counter
local n = redis.call('INCR', KEYS[1])
local function pair() return n, redis.call('TTL', KEYS[1]) end
local a, b = pair()
return {a, b}
