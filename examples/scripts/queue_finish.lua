--- Finishes a job: removes it from `working`, records it in `done`.
---@key working
---@key claimed_at
---@key done         list of finished jobs
---@arg job string
---@return bool      false when the job was not being worked on
local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
if removed == 0 then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('LPUSH', KEYS[3], ARGV[1])
return 1
