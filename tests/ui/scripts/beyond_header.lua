--- Declares one key and two args, uses more.
---@key counter
---@arg limit u64
---@arg window u64
-- A comment mentioning KEYS[9] is not a use, nor is the string below.
local note = 'ARGV[7]'
redis.call('INCR', KEYS[2])
return tonumber(ARGV[3]) + tonumber(ARGV[1])
