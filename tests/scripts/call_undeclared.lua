--- Counts its run, then calls `cmd` on keys it did not declare: what a cluster node
--- refuses mid-script (keys of another slot, a slot being migrated, a slot not served).
---@key counter          counts the runs
---@arg cmd &str         the command to call
---@arg ...names &str    the undeclared keys it takes
redis.call('INCR', KEYS[1])
return redis.call(ARGV[1], unpack(ARGV, 2))
