-- hex float literals and their decimal values
local list = {0x1p4, 0x.8, 0xA.8p1, 0x1p-1, 0x1p0, 0x0p0, 0x0.1, 0xF.Fp-4, 0x1.921fb54442d18p1, 0x1p62, 0x1p63, 0x1p64}
for _, v in ipairs(list) do
  print(v, string.format('%a', v), string.format('%.17g', v), math.type(v))
end
print(0x10, 0xff, 0XAbC, 0x7fffffffffffffff + 1 == math.mininteger)
