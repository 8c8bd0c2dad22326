-- %g switch between fixed and exponent notation
for e = -6, 18 do
  local v = tonumber('1e' .. e) -- correctly rounded, unlike pow (see 206)
  print(e, string.format('%g %.3g %.14g %.17g %#.3g', v, v, v, v, v))
end
print(string.format('%g %g %g', 9.9999995e-5, 0.000099999, 999999.5))
print(string.format('%.1g %.1g %.2g', 0.95, 9.5, 99.5))
