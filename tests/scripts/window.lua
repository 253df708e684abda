--- Counts a hit; with a limit, says whether it is over it.
---@key counter
---@arg by i64          how much to add
---@arg limit? i64      when given, the reply says whether the counter is over it
---@arg label? string   when given, prefixed to the reply
---@return string
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
local reply = tostring(n)
if ARGV[2] == nil then
  reply = reply .. ':no-limit'
elseif n > tonumber(ARGV[2]) then
  reply = reply .. ':over'
end
if ARGV[3] then
  reply = ARGV[3] .. ':' .. reply
end
return reply
