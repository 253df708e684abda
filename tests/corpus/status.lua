--- Sets a key and answers with a status reply.
---@key key
---@arg value string
---@return String
redis.call('SET', KEYS[1], ARGV[1])
return redis.status_reply('STORED')
