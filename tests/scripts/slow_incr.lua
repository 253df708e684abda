--- Counts its run, then spins for a while: a script slower than the client's timeout.
---@key counter  how many times it ran
---@arg ms u64   how long to spin, in milliseconds
---@return i64   the count
local n = redis.call('INCR', KEYS[1])
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Valkey 9 answers TIME with the time the script started, whatever the time now: there
-- the number of turns bounds the spin (about 40,000 a millisecond on Valkey 9.1 here).
local stop, turns = now() + tonumber(ARGV[1]), tonumber(ARGV[1]) * 40000
local i = 0
while i < turns do
  i = i + 1
  if i % 10000 == 0 and now() >= stop then break end
end
return n
