-- tostring, %.17g, %a and %e of pseudo-random doubles from fixed bit patterns
math.randomseed(42)
local function randdouble() return (string.unpack('<d', string.pack('<i8', math.random(0)))) end
for i = 1, 30 do
  local v = randdouble()
  if v ~= v then v = i + 0.5 end
  print(tostring(v), string.format('%.17g %a %.3e', v, v, v))
end
local acc = 0
for i = 1, 5000 do
  local v = randdouble()
  local s = string.format('%.17g|%g|%.0f|%.5e', v, v, v > -1e20 and v < 1e20 and v or 0, v)
  for j = 1, #s, 3 do acc = (acc * 131 + s:byte(j)) % 2147483647 end
end
print('checksum', acc)
