-- j J T formats and round trips. T is size_t: 8 bytes natively, 4 on wasm32 (README:
-- "What differs"), so only what does not depend on its width is printed here.
local vals = {0, 1, -1, math.maxinteger, math.mininteger, 123456789012}
for _, v in ipairs(vals) do
  local p = string.pack('<j', v)
  print(v, string.format('%q', p), string.unpack('<j', p), string.unpack('<J', p))
end
print(string.unpack('<T', string.pack('<T', 12345)) == 12345, string.packsize('<T') == #string.pack('<T', 1))
print(string.packsize('<i3 I5 j'), string.packsize('<i3 I5 j T') - string.packsize('T'))
print(pcall(string.pack, 'T', -1) == (string.packsize('T') == 8))
