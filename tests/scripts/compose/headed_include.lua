--- Counts a hit with a helper from a fragment: the include inside the header is an
--- include, and the tags after it still belong to the header.
--- @include "includes/rcall"
---@key counter
---@return i64
return rcall("INCR", KEYS[1])
