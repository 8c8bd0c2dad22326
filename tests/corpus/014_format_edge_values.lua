-- every float conversion on the edge values
local edges = {0, -0.0, 1e300, 5e-324, 1/0, -1/0, math.maxinteger, math.mininteger, 0.1, 1/3, 2^53, 2^63}
local convs = {'%e', '%E', '%f', '%g', '%G', '%a', '%A', '%.3g', '%.1e', '%10.4f', '%-+12.5G|'}
for _, v in ipairs(edges) do
  local out = {}
  for _, c in ipairs(convs) do out[#out + 1] = string.format(c, v) end
  print(table.concat(out, ' '))
end
