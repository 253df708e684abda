--- Extends the lock, only for the owner that holds it.
---@key lock
---@arg token string    the owner's token
---@arg ttl_ms u64      new time to live
---@return bool         false when the lock is not (or no longer) held with this token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
