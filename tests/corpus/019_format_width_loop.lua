-- widths 0..25 with numbers and strings
for w = 1, 26, 5 do
  local p = '%' .. w
  print('[' .. string.format(p .. 'd', -12345) .. ']', '[' .. string.format(p .. 'g', 3.25) .. ']',
        '[' .. string.format(p .. 's', 'abc') .. ']', '[' .. string.format('%-' .. (w > 0 and w or '') .. 'x', 255) .. ']',
        '[' .. string.format(p .. '.2e', -0.0) .. ']')
end
