-- f, d, n formats
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
for _, v in ipairs{0.0, -0.0, 1.0, -1.5, 0.1, 1/3, 1e300, 5e-324, math.huge, -math.huge, 2^53, 1e-40, 3.4028234663852886e38} do
  local f = string.pack('<f', v)
  local d = string.pack('>d', v)
  print(v, hex(f), hex(d), string.unpack('<f', f), string.unpack('>d', d), string.unpack('n', string.pack('n', v)))
end
print(string.unpack('<f', string.pack('<f', 1e39)), string.unpack('<f', string.pack('<f', 1e-50)))
print(string.unpack('<d', '\0\0\0\0\0\0\240\127'), string.unpack('<d', '\1\0\0\0\0\0\0\0'))
print(string.pack('d', 3) == string.pack('d', 3.0), pcall(string.pack, 'd', 'x'))
