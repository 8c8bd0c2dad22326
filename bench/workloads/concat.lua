-- String building: `..` in loops and table.concat of many pieces.
local total = 0
for round = 1, 20 do
  local s = ""
  for i = 1, 2000 do s = s .. i .. "," end
  total = total + #s
  local parts = {}
  for i = 1, 20000 do parts[#parts + 1] = "item" .. i .. round end
  total = total + #table.concat(parts, ";")
end
print(total)
