--- The same writes, switched off for the rest of the file.
---@key counter
---@diagnostic disable: global-write
count = redis.call('INCR', KEYS[1])
function helper() return count end
function string.trim(s) return s end
return helper()
