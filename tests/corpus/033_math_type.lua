-- integer vs float subtypes
local vals = {1, 1.0, -0.0, 2^53, 1 // 1, 1.0 // 1, 3 / 1, 7 % 2, 7.0 % 2, 2^2, 10 // 3.0, math.maxinteger + 0.0,
  '1', 1e2, 0x10, 0x1p4, 100000000000000000000, 9223372036854775807, 9223372036854775808, -9223372036854775808}
for i, v in ipairs(vals) do
  print(i, v, math.type(v), type(v))
end
print(math.type(nil), math.type({}), pcall(math.type))
print(1 == 1.0, math.type(1) == math.type(1.0), -0.0 == 0, 1/-0.0, 1/0.0)
