--- Reads globals the Lua of Redis does not have.
---@key counter
local n = redis.call('INCR', KEYS[1])
local parts = bit32.band(n, 1)
print(table.unpack({n, parts}))
return n
