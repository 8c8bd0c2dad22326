-- string.format %a and %A with precisions
local vals = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.0, 1/3, 255.5, 1e300, 1e-300, 5e-324, 2.2250738585072014e-308, 2^53, 2^63, 1e100}
for _, v in ipairs(vals) do
  print(string.format('%a|%A|%.0a|%.1a|%.3a|%.13a|%.20a|%25a|%-25a|%025a|%+a|% a|%#a|%#.0a', v, v, v, v, v, v, v, v, v, v, v, v, v, v))
end
print(string.format('%a %A %a', 1/0, -1/0, 3))
