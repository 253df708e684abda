-- Mentions KEYS[5] and ARGV[9] only in comments and strings:
local s = "KEYS[5]" .. [[ARGV[9] ]] .. [==[ KEYS[7] ]==]
--[[ KEYS[8] ]]
return redis.call('SET', KEYS[1], s)
