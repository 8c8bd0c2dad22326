-- math.floor and math.ceil, including huge values
local vals = {0, 1, -1, 1.5, -1.5, 0.5, -0.5, 2.5, 1e15 + 0.5, 2^52 + 0.5, 2^53, 2^62, 2^63, -2^63, 1e100, -1e100, 5e-324, -5e-324, math.huge, -math.huge, math.maxinteger, math.mininteger}
for _, v in ipairs(vals) do
  local f, c = math.floor(v), math.ceil(v)
  print(v, f, math.type(f), c, math.type(c))
end
print(pcall(math.floor, 'x'), math.floor('3.7'), math.ceil('3.2'))
