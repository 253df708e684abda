--- The same reads, each switched off the way the Lua language server reads it.
---@key counter
local n = redis.call('INCR', KEYS[1])
---@diagnostic disable-next-line: undefined-global
local parts = bit32.band(n, 1)
print(table.unpack({n, parts})) ---@diagnostic disable-line: undefined-global
return n
