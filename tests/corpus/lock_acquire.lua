--- Takes a lock if it is free.
---@key lock
---@arg owner string    a token unique to the caller
---@arg ttl_ms u64
---@return bool         true when acquired
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
