--- Marks a claimed job done: removes it from the processing list and its claim time, and
--- appends it to the done list.
---@key processing      list of jobs being worked on
---@key claimed_at      hash: job -> time it was claimed
---@key done            list of finished jobs
---@arg job &str        the job to finish
---@return bool         true when the job was being processed
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return false
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('LPUSH', KEYS[3], ARGV[1])
return true
