-- floor division and modulo tables for small ranges
for a = -4, 4 do
  local row = {}
  for _, b in ipairs{-3, -2, -1, 1, 2, 3} do row[#row + 1] = string.format('%2d/%2d', a // b, a % b) end
  print(string.format('%2d', a), table.concat(row, ' '))
end
for a = -2, 2, 0.75 do
  print(a, a // 0.5, a % 0.5, a // -0.75, a % -0.75)
end
