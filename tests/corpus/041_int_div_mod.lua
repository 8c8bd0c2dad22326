-- integer division and modulo with negatives
local pairs_ = {{7, 3}, {-7, 3}, {7, -3}, {-7, -3}, {0, 5}, {5, 1}, {math.mininteger, -1}, {math.maxinteger, -1},
  {math.mininteger, 2}, {math.maxinteger, math.mininteger}, {1, math.maxinteger}}
for _, p in ipairs(pairs_) do
  local a, b = p[1], p[2]
  print(a, b, a // b, a % b, math.fmod(a, b))
end
for _, p in ipairs{{7.0, 3}, {-7.0, 3}, {7, -3.0}, {-7.5, 2}, {7.5, -2}, {5.3, 1}, {-0.0, 1}} do
  local a, b = p[1], p[2]
  print(a, b, a // b, a % b, math.fmod(a, b))
end
