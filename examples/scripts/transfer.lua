--- Moves points between two accounts if the source has enough; returns the source's
--- new balance, or -1 when it had too little.
---@key from        account to take points from
---@key to          account to give points to
---@arg amount u64  points to move
---@return i64
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if balance < amount then
  return -1
end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
return balance - amount
