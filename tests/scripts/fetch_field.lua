-- Header-less, as apalis's fetch_by_id.lua: each argument is tested for presence only to
-- refuse a call without it, so neither is optional.
local id = ARGV[1]
if not id then
  return redis.error_reply("missing id")
end
if ARGV[2] == nil then
  error("missing field")
end
return redis.call("HGET", KEYS[1] .. ":" .. id, ARGV[2])
