--- Returns its arguments, showing that `None` keeps positions.
---@arg first Option<u64>
---@arg second string
---@return string[]
return {ARGV[1], ARGV[2]}
