-- string.pack of integers of every size
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
for n = 1, 16 do
  local fmt = '<i' .. n
  local v = n <= 8 and -2 or -2
  print(fmt, hex(string.pack(fmt, v)), hex(string.pack('>i' .. n, 1)), hex(string.pack('<I' .. n, 255)), string.packsize(fmt))
end
print(hex(string.pack('<i8', math.mininteger)), hex(string.pack('>i8', math.maxinteger)))
print(hex(string.pack('<i16', math.mininteger)), hex(string.pack('>I16', -1)))
print(string.unpack('<i16', string.pack('<i16', -12345)), string.unpack('<I3', '\255\255\255'))
print(pcall(string.pack, 'i0', 1))
print(pcall(string.pack, 'i17', 1))
