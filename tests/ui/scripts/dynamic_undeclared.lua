--- Moves jobs: the header declares one key and one argument but the script takes all.
---@key source
---@arg count u64
local moved = 0
for i = 2, #KEYS do
  moved = moved + redis.call("LMOVE", KEYS[1], KEYS[i], "LEFT", "RIGHT")
end
return redis.call("RPUSH", KEYS[1], unpack(ARGV))
