--- The same tests, switched off for their lines.
---@key flag
---@arg force bool
---@diagnostic disable-next-line: bool-arg
if ARGV[1] then
  redis.call('SET', KEYS[1], 'forced')
end
local force = ARGV[1]
if force == 'true' then return 'compared' end ---@diagnostic disable-line: bool-arg
return redis.call('GET', KEYS[1])
