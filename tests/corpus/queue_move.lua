--- Moves a job from the pending list to the processing list and records its start.
---@key pending
---@key processing
---@key started       hash job -> start time
---@arg now_ms u64
---@return Option<String> the job, or nil when none is pending
local job = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
if job then
  redis.call('HSET', KEYS[3], job, ARGV[1])
end
return job
