--- Locals, parameters, upvalues, loop variables and the implicit `arg` of a vararg
--- function, which look like globals but are not; library fields some server has.
---@key counter
local print = function(...) return arg.n end
local function bump(key, by) return redis.call('INCRBY', key, by) end
local n = bump(KEYS[1], 1)
for i = 1, 2 do n = n + i end
for _, v in ipairs({1}) do n = n + v end
repeat local done = true until done
local out = cjson.encode({bit.band(n, 1), string.format('%d', n), math.max(n, 1), unpack({1})})
if redis.REDIS_VERSION then print(out) end
return n
