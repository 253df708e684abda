--- Releases the lock, only for the owner that holds it.
---@key lock
---@arg token string    the owner's token
---@return bool         false when the lock is not held with this token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
