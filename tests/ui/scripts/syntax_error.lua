--- A missing `end`.
---@key counter
local n = redis.call('INCR', KEYS[1])
if n > 10 then
  return -1
return n
