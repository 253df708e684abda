--- The same test, switched off for its line.
---@key queue
---@arg job string
---@arg limit Option<u64>
---@diagnostic disable-next-line: option-arg
if ARGV[2] then
  redis.call('LTRIM', KEYS[1], 0, ARGV[2])
end
return redis.call('RPUSH', KEYS[1], ARGV[1])
