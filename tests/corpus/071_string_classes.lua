-- character classes %a %d %l %s %u %w %x %p %c %g and their complements
local all = {}
for i = 0, 127 do all[#all + 1] = string.char(i) end
local ascii = table.concat(all)
for _, cls in ipairs{'%a', '%d', '%l', '%s', '%u', '%w', '%x', '%p', '%c', '%g'} do
  local matched = ascii:gsub('[^' .. cls .. ']', '')
  local upper = ascii:gsub(cls:upper(), '')
  print(cls, #matched, string.format('%q', matched), #upper)
end
local high = {}
for i = 128, 255 do high[#high + 1] = string.char(i) end
high = table.concat(high)
for _, cls in ipairs{'%a', '%d', '%l', '%s', '%u', '%w', '%x', '%p', '%c', '%g'} do
  io.write(cls, '=', select(2, high:gsub(cls, '')), ' ')
end
io.write('\n')
