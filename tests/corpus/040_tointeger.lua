-- math.tointeger and float->int conversions
local vals = {3, 3.0, 3.5, -3.0, -0.0, 2^53, 2^63, -2^63, 2^62, 1e100, 0/0 ~= 0/0 and 0.5 or 0, math.huge, '8', '8.0', 'x', {}}
for i, v in ipairs(vals) do
  local ok, r = pcall(math.tointeger, v)
  print(i, ok, r, math.type(r))
end
print(pcall(math.tointeger))
print(3.0 | 0, 2^53 | 0, pcall(function() return 2^63 | 0 end))
print(pcall(function() return 3.5 | 0 end))
print(pcall(function() return ('1.5') // 0 end))
for _, s in ipairs{'10', '10.0', '1e1', '0x10', '10.5'} do
  print(s, pcall(function() return s | 0 end))
end
