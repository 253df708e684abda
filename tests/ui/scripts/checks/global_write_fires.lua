--- Creates globals, which every server refuses.
---@key counter
count = redis.call('INCR', KEYS[1])
function helper() return count end
function string.trim(s) return s end
return helper()
