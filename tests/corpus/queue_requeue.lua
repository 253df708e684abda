--- Puts jobs that started before a deadline back on the pending list.
---@key processing
---@key started
---@key pending
---@arg deadline_ms u64
---@return i64 how many were requeued
local n = 0
for _, job in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local t = tonumber(redis.call('HGET', KEYS[2], job) or '0')
  if t < tonumber(ARGV[1]) then
    redis.call('LREM', KEYS[1], 1, job)
    redis.call('HDEL', KEYS[2], job)
    redis.call('LPUSH', KEYS[3], job)
    n = n + 1
  end
end
return n
