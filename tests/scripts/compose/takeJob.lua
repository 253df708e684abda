--- Takes the next job of a queue and locks it for a worker, BullMQ style: the helpers
--- live in fragments under includes/, which share one more fragment between them.
---@key queue   the waiting list
---@key active  the list of jobs being worked on
---@arg worker string  the worker's token
---@arg ttl_ms u64     how long the lock holds
---@return Option<String> the job, or nil when the queue is empty
--- @include "includes/pop"
--- @include "includes/lock.lua"
local job = popJob(KEYS[1], KEYS[2])
if job then
  lockJob(job, ARGV[1], ARGV[2])
end
return job
