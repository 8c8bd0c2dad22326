-- precision 0..20 for several conversions
local v = 1/7
for p = 0, 20 do
  local f = '%.' .. p
  print(p, string.format(f .. 'f', v), string.format(f .. 'e', v), string.format(f .. 'g', v), string.format(f .. 'a', v))
end
