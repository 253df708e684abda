--- Adds to a counter and reads back a few keys.
---@key counter        the counter
---@key ...others      keys to read back
---@arg by i64         how much to add
---@arg label Option<&str> stored next to the counter when given
---@return (i64, Vec<Option<String>>) the new value and the other keys' values
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if ARGV[2] then redis.call('SET', KEYS[1] .. ':label', ARGV[2]) end
local values = {}
for i = 2, #KEYS do values[#values + 1] = redis.call('GET', KEYS[i]) or false end
return { n, values }
