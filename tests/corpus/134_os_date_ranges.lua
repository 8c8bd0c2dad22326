-- one line per month boundary in a leap and a non-leap year
for _, year in ipairs{2000, 2100, 2023, 2024} do
  local out = {}
  for m = 1, 12 do
    local t = os.time{year = year, month = m + 1, day = 0, hour = 0}
    out[#out + 1] = os.date('!%d', t)
  end
  print(year, table.concat(out, ' '), os.date('!%j', os.time{year = year, month = 12, day = 31, hour = 0}))
end
