--- Returns a reply of the shape named by its argument, for the exactly-once tests.
---@arg shape &str  int, str, nil, array, status, error, bool, float or nested
local shape = ARGV[1]
if shape == 'int' then return 42 end
if shape == 'str' then return 'forty-two\0bytes' end
if shape == 'nil' then return nil end
if shape == 'array' then return {1, 'two', {3}} end
if shape == 'status' then return redis.status_reply('FINE') end
if shape == 'error' then return redis.error_reply('MINE my own error') end
if shape == 'bool' then return {true, false} end
if shape == 'float' then return 3.75 end
return {{{'deep'}}, {map = 1}}
