--- Three problems in one file, reported together.
---@kye counter
---@arg limit int
return KEYS[1] .. ARGV[2]
