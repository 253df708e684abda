-- No header, dynamic use: keys and args are slices.
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('GET', key) or ARGV[i]
end
return out
