-- every conversion at the epoch and one second before it
for _, t in ipairs{0, -1} do
  local out = {}
  for c in ('aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%'):gmatch('.') do
    out[#out + 1] = c .. '=' .. os.date('!%' .. c, t)
  end
  print(table.concat(out, '|'))
end
