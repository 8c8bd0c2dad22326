-- math.modf
for _, v in ipairs{3.7, -3.7, 0.5, -0.5, 5, -5, 0, -0.0, 1e100, 2^53 + 0.0, math.huge, -math.huge, 1/3, 5e-324} do
  local i, f = math.modf(v)
  print(v, i, f, math.type(i), math.type(f))
end
local i, f = math.modf(0/0)
print(i ~= i, f ~= f)
