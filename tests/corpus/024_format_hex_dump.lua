-- formatting bytes in hex
local s = 'Lua\0\1\127\128\255 ok'
local hex = s:gsub('.', function(c) return string.format('%02X ', c:byte()) end)
print(hex)
for i = 0, 255, 17 do
  io.write(string.format('%3d=%02x=%03o ', i, i, i))
end
io.write('\n')
print(string.format('%#x %#X %#o', 0, 0, 0))
