--- Sets a TTL only if it extends the current one.
---@key key
---@arg ttl_ms i64
---@return bool
local current = redis.call('PTTL', KEYS[1])
if current < tonumber(ARGV[1]) then
  return redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 0
