-- string.sub with negative and out-of-range indices
local s = 'abcdefghij'
local cases = {{1}, {3}, {-3}, {0}, {-100}, {100}, {2, 5}, {-5, -2}, {5, 2}, {0, 0}, {1, 0}, {-1, -1}, {3, -3}, {-3, 3},
  {math.mininteger, math.maxinteger}, {math.maxinteger}, {math.mininteger, 2}, {2, math.mininteger}, {11}, {10, 20}}
for _, c in ipairs(cases) do
  print(c[1], c[2], '[' .. s:sub(c[1], c[2]) .. ']')
end
print(('x'):sub(2), (''):sub(1, 1), s:sub(2.0, 3.0), pcall(s.sub, s, 1.5))
