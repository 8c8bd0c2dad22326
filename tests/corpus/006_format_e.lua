-- string.format %e and %E
local vals = {0.0, -0.0, 1.0, 0.1, 1/3, 123456.789, 1e300, 1e-300, 5e-324, 2.2250738585072014e-308, 2^53, 2^63, 1e100, 9.9999, 9.99999999}
for _, v in ipairs(vals) do
  print(string.format('%e|%E|%.0e|%.3e|%.17e|%15.2e|%-15.2E|%015.2e|%+e|% e|%#.0e', v, v, v, v, v, v, v, v, v, v, v))
end
print(string.format('%e %E %e', 1/0, -1/0, 3))
print(string.format('%.30e', 0.1))
