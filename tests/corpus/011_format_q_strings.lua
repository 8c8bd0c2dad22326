-- %q of strings with control characters, NULs and newlines
local strs = {'plain', 'with "quotes"', 'back\\slash', 'new\nline', 'cr\rhere', 'tab\there',
  'nul\0mid', '\0', '\0001', '\0a', '\1\2\3', '\127', '\255\254', 'bell\a', '\27[0m', 'line1\r\nline2', '9\0009'}
for _, s in ipairs(strs) do
  io.write(string.format('%q', s), '\n')
end
print(string.format('%q', ''))
print(string.format('%q', string.rep('x', 3) .. '\n' .. '\t'))
local all = {}
for i = 0, 31 do all[#all + 1] = string.char(i) end
print(string.format('%q', table.concat(all)))
print(pcall(string.format, '%10q', 'x'))
print(pcall(string.format, '%q', {}))
print(string.format('%q', true), string.format('%q', false), string.format('%q', nil))
