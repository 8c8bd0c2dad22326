-- math.ult
local vals = {0, 1, -1, math.maxinteger, math.mininteger, 2, -2}
for _, a in ipairs(vals) do
  local row = {}
  for _, b in ipairs(vals) do row[#row + 1] = math.ult(a, b) and 'T' or 'F' end
  print(a, table.concat(row))
end
print(pcall(math.ult, 1.5, 2))
print(pcall(math.ult, 1.0, 2.0))
print(pcall(math.ult, 'a', 1))
