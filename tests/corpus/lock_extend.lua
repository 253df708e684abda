--- Extends a lock held by owner.
---@key lock
---@arg owner string
---@arg ttl_ms u64
---@return bool
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
