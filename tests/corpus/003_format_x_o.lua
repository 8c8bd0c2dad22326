-- string.format %x %X %o
local vals = {0, 1, 15, 16, 255, 4096, -1, -256, math.maxinteger, math.mininteger, 0xdeadbeef}
for _, v in ipairs(vals) do
  print(string.format('%x|%X|%o|%#x|%#X|%#o|%8x|%-8X|%08x|%.4x|%#10.6x|%#-12o|', v, v, v, v, v, v, v, v, v, v, v, v))
end
print(string.format('%x', 3.0))
print(pcall(string.format, '%x', 3.5))
print(pcall(string.format, '%+x', 1))
print(pcall(string.format, '% o', 1))
print(pcall(string.format, '%x', '0x10'))
print(pcall(string.format, '%x', 'zz'))
