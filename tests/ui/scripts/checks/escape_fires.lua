--- Lua 5.2 escapes, read as plain letters by Redis's Lua 5.1.
local a = '\x41'
local b = "\u{20AC}"
return a .. b
