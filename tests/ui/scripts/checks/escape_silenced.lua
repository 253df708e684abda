--- The same strings, switched off for their lines.
---@diagnostic disable-next-line: escape
local a = '\x41'
local b = "\u{20AC}" ---@diagnostic disable-line: escape
return a .. b
