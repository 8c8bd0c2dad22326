-- < > = endianness switches
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
print(hex(string.pack('<i4', 0x01020304)), hex(string.pack('>i4', 0x01020304)))
print(hex(string.pack('<i4 >i4 <i2', 0x01020304, 0x01020304, 0x0506)))
print(hex(string.pack('=i4', 1)) == hex(string.pack('<i4', 1)) or hex(string.pack('=i4', 1)) == hex(string.pack('>i4', 1)))
print(hex(string.pack('>d', 1.0)), hex(string.pack('<d', 1.0)), hex(string.pack('>f', -2.0)))
print(hex(string.pack('>I3', 0xabcdef)), hex(string.pack('<I3', 0xabcdef)))
print(string.unpack('>I2', '\1\2'), string.unpack('<I2', '\1\2'))
print(hex(string.pack('>j', -2)), hex(string.pack('<J', 1)))
print(hex(string.pack('>s2', 'ab')), hex(string.pack('<s2', 'ab')))
