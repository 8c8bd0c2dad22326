-- %q of integers and floats (floats come out as hex floats)
local vals = {0, 1, -1, 42, math.maxinteger, math.mininteger, math.mininteger + 1,
  0.0, -0.0, 1.0, -1.5, 0.1, 1/3, 2^53, 2^63, -2^63, 1e300, 5e-324, 1e100, 100.0, 0.5}
for _, v in ipairs(vals) do
  print(math.type(v), string.format('%q', v))
end
print(string.format('%q', 1/0), string.format('%q', -1/0))
print(string.format('%q', 0/0) == '(0/0)')
for _, v in ipairs{0.1, 1/3, 1e300, 5e-324, math.mininteger, -0.0} do
  local back = load('return ' .. string.format('%q', v))()
  print(back == v, math.type(back), 1/back == 1/v)
end
