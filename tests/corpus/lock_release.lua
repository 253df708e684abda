--- Releases a lock only if owner still holds it.
---@key lock
---@arg owner string
---@return bool
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
