--- Sums numbers passed as arguments.
---@arg ...numbers i64
---@return i64
local sum = 0
for _, v in ipairs(ARGV) do sum = sum + tonumber(v) end
return sum
