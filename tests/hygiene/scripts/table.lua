--- Returns a table: declared with the Lua language-server name.
---@return table
return {1, 2}
