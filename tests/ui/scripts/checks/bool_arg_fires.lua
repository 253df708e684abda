--- Sets a flag when forced, testing the bool the way that never works.
---@key flag
---@arg force bool
if ARGV[1] then
  redis.call('SET', KEYS[1], 'forced')
end
local force = ARGV[1]
if force == 'true' then return 'compared' end
return redis.call('GET', KEYS[1])
