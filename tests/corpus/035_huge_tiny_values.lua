-- huge, tiny and subnormal values
local vals = {1e308, 1.7976931348623157e308, 1e309, -1e309, 2.2250738585072014e-308, 2.225073858507201e-308,
  4.9406564584124654e-324, 1e-323, 1e-324, 2e-324, 3e-324, -5e-324, 1e-310, 2^-1022, 2^-1074, 2^-1075, 2^1023 * 2}
for _, v in ipairs(vals) do
  print(v, string.format('%.17g %a', v, v), v == 0, v * 2^1074)
end
print(math.huge > 1e308, -math.huge < -1e308, 1e308 * 10, -1e308 * 10, 1e-320 / 1e10)
