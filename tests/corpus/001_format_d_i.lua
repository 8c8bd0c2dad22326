-- string.format %d and %i with flags, widths and precisions
local vals = {0, 1, -1, 42, -42, 123456789, math.maxinteger, math.mininteger, 3.0, -0.0, 2^53}
local fmts = {'%d', '%i', '%5d', '%-5d|', '%05d', '%+d', '% d', '%.3d', '%8.3d', '%-+8.3d|', '%+05d', '% 05d', '%.0d', '%20d', '%-20i|', '%020d'}
for _, v in ipairs(vals) do
  local out = {}
  for _, f in ipairs(fmts) do out[#out + 1] = string.format(f, v) end
  print(table.concat(out, ' '))
end
print(string.format('%d %d', '10', '0x10'))
print(string.format('%99d', 7):len())
