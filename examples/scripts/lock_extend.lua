--- Extends the lock, but only for its owner.
---@key lock            the lock's key
---@arg token &str      the token given when acquiring
---@arg ttl_ms u64      the new time to live
---@return bool         true when the token still held the lock and it was extended
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) == 1
end
return false
