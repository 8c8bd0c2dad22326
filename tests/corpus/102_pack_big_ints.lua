-- sizes beyond lua_Integer (i9..i16) sign-extend and check
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
for _, n in ipairs{9, 10, 12, 15, 16} do
  for _, v in ipairs{0, 1, -1, math.maxinteger, math.mininteger} do
    local p = string.pack('<i' .. n, v)
    io.write(hex(p), ' ', string.unpack('<i' .. n, p), ' ')
    p = string.pack('>I' .. n, v)
    io.write(hex(p), ' ', tostring(select(2, pcall(string.unpack, '>I' .. n, p))), '\n')
  end
end
