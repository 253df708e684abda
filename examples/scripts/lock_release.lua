--- Releases the lock, but only for its owner: another holder's lock is left alone.
---@key lock            the lock's key
---@arg token &str      the token given when acquiring
---@return bool         true when the token held the lock and it was deleted
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1]) == 1
end
return false
