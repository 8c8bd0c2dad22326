-- every flag combination on one positive and one negative float and integer
local flags = {'', '-', '+', ' ', '#', '0', '-+', '- ', '+0', ' 0', '#0', '-#', '+#', '-+ #'}
for _, f in ipairs(flags) do
  local out = {}
  for _, conv in ipairs{'10.3f', '12.3e', '10.3g', '14.2a'} do
    out[#out + 1] = string.format('[%' .. f .. conv .. ']', 3.14159)
    out[#out + 1] = string.format('[%' .. f .. conv .. ']', -0.5)
  end
  local okd, d = pcall(string.format, '[%' .. f .. '8d]', -42)
  out[#out + 1] = okd and d or 'd:error'
  print(string.format('%-5s', f), table.concat(out, ''))
end
