-- math.fmod edge cases
local cases = {{5, 3}, {-5, 3}, {5, -3}, {-5, -3}, {5.5, 2}, {-5.5, 2}, {5, 2.5}, {1e300, 3}, {3, 1e300},
  {math.mininteger, -1}, {math.mininteger, 1}, {math.maxinteger, 2}, {math.mininteger, math.maxinteger},
  {0, 5}, {-0.0, 5}, {5, math.huge}, {-5, -math.huge}, {0.3, 0.1}, {1, 0.1}, {2^53, 3}}
for _, c in ipairs(cases) do
  local r = math.fmod(c[1], c[2])
  print(c[1], c[2], r, math.type(r))
end
print(pcall(math.fmod, 5, 0))
print(pcall(math.fmod, 5))
print(math.fmod(5, 0.0) ~= math.fmod(5, 0.0), math.fmod(math.huge, 2) ~= math.fmod(math.huge, 2))
