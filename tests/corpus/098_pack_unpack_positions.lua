-- unpack with positions and trailing position results
local data = string.pack('<i2 i2 i2', 10, 20, 30)
print(string.unpack('<i2', data))
print(string.unpack('<i2', data, 3))
print(string.unpack('<i2', data, -2))
print(string.unpack('<i2 i2', data, 2))
print(pcall(string.unpack, '<i2', data, 6))
print(pcall(string.unpack, '<i2', data, 8))
print(pcall(string.unpack, '<i2', data, 0))
print(pcall(string.unpack, '<i2', data, -10))
print(string.unpack('', data), string.unpack('', data, 7))
print(pcall(string.unpack, '<i2', data, 1.5))
local pos, out = 1, {}
while pos <= #data do
  local v
  v, pos = string.unpack('<i2', data, pos)
  out[#out + 1] = v
end
print(table.concat(out, ' '))
