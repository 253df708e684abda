--- A CRLF file with non-ASCII comments: café, 日本語, 🚀
---@return string
-- über
return "ok"
