--- Moves the oldest job from the pending list to the processing list and records when it
--- was claimed, atomically.
---@key pending         list of jobs waiting
---@key processing      list of jobs being worked on
---@key claimed_at      hash: job -> time it was claimed
---@arg now_ms u64      the current time
---@return Option<String> the claimed job, or nothing when the queue is empty
local job = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
if job then
  redis.call('HSET', KEYS[3], job, ARGV[1])
end
return job
