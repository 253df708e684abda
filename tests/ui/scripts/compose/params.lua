--- Counts a hit.
---@key counter
--- @include "includes/declares"
return incr(KEYS[1])
