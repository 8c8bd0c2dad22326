-- %.17g is enough to round-trip doubles
local vals = {0.1, 0.2, 0.3, 0.1 + 0.2, 1/3, 2/3, math.pi, 2.718281828459045, 1e23, 1e-7, 123.456, 2^-1074, 1.7976931348623157e308, 9007199254740993, 4.35, 0.07}
for _, v in ipairs(vals) do
  local s = string.format('%.17g', v)
  print(s, string.format('%.16g', v), string.format('%.15g', v), tonumber(s) == v)
end
