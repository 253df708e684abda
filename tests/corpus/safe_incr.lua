--- Increments with redis.pcall and returns an error reply on a wrong type.
---@key counter
---@return i64
local ok = redis.pcall('INCR', KEYS[1])
if type(ok) == 'table' and ok.err then
  return redis.error_reply('NOTNUM ' .. KEYS[1] .. ' does not hold an integer')
end
return ok
