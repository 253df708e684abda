--- Increments a counter up to a cap.
---@key counter
---@arg cap integer
---@return integer the value, or -1 at the cap
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v >= tonumber(ARGV[1]) then return -1 end
return redis.call('INCR', KEYS[1])
