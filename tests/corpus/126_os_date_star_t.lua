-- os.date('!*t') field by field in sorted order
for _, t in ipairs{0, -1, 951782400, 1234567890, 253402300799, -62135596800} do
  local d = os.date('!*t', t)
  local keys = {}
  for k in pairs(d) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = k .. '=' .. tostring(d[k]) end
  print(t, table.concat(out, ' '))
  print(pcall(os.time, d))
end
