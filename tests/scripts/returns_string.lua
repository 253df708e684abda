--- Declares an integer but returns text.
---@return i64
return 'not a number'
