--- Stores a position and returns the members within a radius.
---@key places
---@arg lon f64
---@arg lat f64
---@arg name string
---@arg radius_m f64
---@return Vec<String>
redis.call('GEOADD', KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return redis.call('GEORADIUS', KEYS[1], ARGV[1], ARGV[2], ARGV[4], 'm')
