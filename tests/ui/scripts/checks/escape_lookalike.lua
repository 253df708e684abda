--- Lua 5.1 decimal escapes, an escaped backslash, a long string and a comment.
-- '\x41'
local a = '\65'
local b = "\\x41"
local c = [[\x41]]
return a .. b .. c
