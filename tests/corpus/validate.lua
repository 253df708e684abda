--- Refuses negative amounts with an error reply.
---@key account
---@arg amount i64
---@return i64
local amount = tonumber(ARGV[1])
if amount < 0 then
  return redis.error_reply('ERR negative amount')
end
return redis.call('INCRBY', KEYS[1], amount)
