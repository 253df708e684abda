--- Claims the next job: moves it from `pending` to `working` and records when.
---@key pending      list of waiting jobs
---@key working      list of jobs being worked on
---@key claimed_at   hash job -> claim time (ms)
---@arg now_ms u64
---@return Option<String>   the job, or nothing when the queue is empty
local job = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
if job then
  redis.call('HSET', KEYS[3], job, ARGV[1])
end
return job
