--- Counts a call, then keeps the server busy for `spins` turns of an empty loop.
--- (Not a clock: Valkey freezes `TIME` for the length of a script.)
---@key counter
---@arg spins i64  how long to stay busy
---@return i64     the counter's new value
local n = redis.call('INCR', KEYS[1])
for _ = 1, tonumber(ARGV[1]) do end
return n
