--- Takes the lock when it is free, for `ttl_ms`, recording the owner's token.
---@key lock            the lock's key
---@arg token string    unique to the owner; needed to extend or release
---@arg ttl_ms u64      how long the lock lasts unless extended
---@return bool         true when acquired
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
