--- Sets a key only if it still holds the expected value.
---@key key
---@arg expected string
---@arg new string
---@return bool
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
