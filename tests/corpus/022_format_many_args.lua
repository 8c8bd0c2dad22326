-- many arguments, long results
local t = {}
for i = 1, 30 do t[i] = i * 1.5 end
print(string.format(string.rep('%g,', 30), table.unpack(t)))
local s = string.format('%s', string.rep('z', 1000))
print(#s)
print(#string.format('%s%s%s', string.rep('a', 500), string.rep('b', 500), string.rep('c', 500)))
print(string.format('%-50s|', 'left'))
print(string.format('%50s|', 'right'))
print(pcall(string.format, '%3$s', 1))
