-- native sizes: b B h H i I l L j J T f d n
local fmts = {'b', 'B', 'h', 'H', 'i', 'I', 'j', 'J', 'f', 'd', 'n'}
for _, f in ipairs(fmts) do
  print(f, string.packsize(f), string.packsize('<' .. f), string.packsize('!' .. f .. 'b'))
end
print(string.packsize('j') == 8, string.packsize('n') == 8, string.packsize('d') == 8)
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
print(hex(string.pack('<bBhHiIjJ', -1, 255, -2, 65535, -3, 7, -4, 9)))
print(string.unpack('<bBhHiIjJ', string.pack('<bBhHiIjJ', -1, 255, -2, 65535, -3, 7, -4, 9)))
print(pcall(string.packsize, 's'))
print(pcall(string.packsize, 'z'))
