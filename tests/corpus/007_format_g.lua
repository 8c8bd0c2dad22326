-- string.format %g and %G
local vals = {0.0, -0.0, 1.0, 0.1, 1/3, 100000, 1000000, 1e15, 1e16, 1e17, 2^53, 2^63, 1e-4, 1e-5, 123456789012, 5e-324, 1e300, 1.5, 0.0001234}
for _, v in ipairs(vals) do
  print(string.format('%g|%G|%.0g|%.1g|%.3g|%.14g|%.17g|%#g|%#.3g|%12g|%-12g|%012g|%+g|% g', v, v, v, v, v, v, v, v, v, v, v, v, v, v))
end
print(string.format('%g %G %g', 1/0, -1/0, 7))
print(string.format('%.99g', 0.1))
print(string.format('%.20g', 1e21))
