--- Re-enqueues a job; the limit is optional.
---@key queue
---@arg job string
---@arg limit Option<u64>
if ARGV[2] then
  redis.call('LTRIM', KEYS[1], 0, ARGV[2])
end
local cap = ARGV[2] or 100
if ARGV[2] == nil then return cap end
return redis.call('RPUSH', KEYS[1], ARGV[1])
