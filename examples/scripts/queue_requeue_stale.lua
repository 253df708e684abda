--- Puts jobs claimed before `older_than_ms` back on `pending` (their worker died).
---@key working
---@key claimed_at
---@key pending
---@arg older_than_ms u64
---@return i64       how many jobs were requeued
local n = 0
for _, job in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local at = tonumber(redis.call('HGET', KEYS[2], job) or '0')
  if at < tonumber(ARGV[1]) then
    redis.call('LREM', KEYS[1], 1, job)
    redis.call('HDEL', KEYS[2], job)
    redis.call('RPUSH', KEYS[3], job)
    n = n + 1
  end
end
return n
