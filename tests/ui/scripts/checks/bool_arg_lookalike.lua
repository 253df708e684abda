--- The bool compared with "1", and a string argument tested for truth.
---@key flag
---@arg force bool
---@arg note string
if ARGV[1] == '1' and ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2])
end
return redis.call('GET', KEYS[1])
