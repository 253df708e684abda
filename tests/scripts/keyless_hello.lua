--- Says hello from whichever node runs it: a script with no keys.
---@arg name &str  who to greet
---@return String  the greeting
return 'hello ' .. ARGV[1]
