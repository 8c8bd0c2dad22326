-- %a rounding of the last hex digit
local vals = {1.03125, 1.09375, 1.46875, 1.5, 1.53125, 1.96875, 1.999, 0x1.fffffffffffffp0, 0x1.08p0, 0x1.18p0, 0x1.28p0, 0x1.38p0}
for _, v in ipairs(vals) do
  print(string.format('%a %.0a %.1a %.2a', v, v, v, v))
end
print(string.format('%.0a %.0a %.0a', 0.75, 1.5, 2.5))
print(string.format('%.1a', 0x1.ffp1023))
