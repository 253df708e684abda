--- Ten parameters: stores seven fields under three keys and returns how many were set.
---@key a        first key
---@key b        second key
---@key c        third key
---@arg f1 i64   field one
---@arg f2 i64   field two
---@arg f3 &str  field three
---@arg f4 &str  field four
---@arg f5 bool  field five
---@arg f6 f64   field six
---@arg f7 u64   field seven
---@return i64   fields stored
redis.call('HSET', KEYS[1], 'f1', ARGV[1], 'f2', ARGV[2])
redis.call('HSET', KEYS[2], 'f3', ARGV[3], 'f4', ARGV[4], 'f5', ARGV[5])
redis.call('HSET', KEYS[3], 'f6', ARGV[6], 'f7', ARGV[7])
return 7
