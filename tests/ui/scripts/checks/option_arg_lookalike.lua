--- Tests that are right: `limit?` sends nothing for None; `since` is compared with "".
---@key queue
---@arg since Option<u64>
---@arg job string
---@arg limit? u64
if ARGV[3] then
  redis.call('LTRIM', KEYS[1], 0, ARGV[3])
end
if ARGV[1] ~= '' then
  redis.call('SET', KEYS[1] .. ':since', ARGV[1])
end
return redis.call('RPUSH', KEYS[1], ARGV[2])
