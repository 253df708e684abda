--- Returns a hash field, setting it first when missing.
---@key hash
---@arg field string
---@arg default string
---@return String
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  v = ARGV[2]
end
return v
