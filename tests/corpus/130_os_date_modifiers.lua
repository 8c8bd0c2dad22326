-- E and O modifiers (C locale), and the invalid ones
local t = 1234567890
for _, c in ipairs{'Ec', 'EC', 'Ex', 'EX', 'Ey', 'EY', 'Od', 'Oe', 'OH', 'OI', 'Om', 'OM', 'OS', 'Ou', 'OU', 'OV', 'Ow', 'OW', 'Oy'} do
  print('%' .. c, os.date('!%' .. c, t))
end
print(pcall(os.date, '%Ez', t))
print(pcall(os.date, '!%Ez', t))
print(pcall(os.date, '%Q', t))
print(pcall(os.date, '%', t))
print(pcall(os.date, '%E', t))
print(pcall(os.date, '%O', t))
print(pcall(os.date, '%Oa', t))
print(pcall(os.date, '%5d', t))
print(pcall(os.date, '%-d', t))
