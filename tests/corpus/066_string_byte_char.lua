-- string.byte and string.char
local s = 'Hello, Lua!'
print(s:byte(), s:byte(1), s:byte(-1), s:byte(2, 4), s:byte(-3, -1))
print(s:byte(100), s:byte(0), s:byte(5, 3), select('#', s:byte(5, 3)))
print(('\0\1\255'):byte(1, -1))
print(string.char(), string.char(72, 105), string.char(0, 65, 0) == '\0A\0')
print(pcall(string.char, 256))
print(pcall(string.char, -1))
print(pcall(string.char, 'x'))
print(string.char(65.0), pcall(string.char, 65.5))
local all = {}
for i = 0, 255 do all[#all + 1] = i end
local str = string.char(table.unpack(all))
print(#str, str:byte(1), str:byte(256), str:byte(-256))
print(s:byte(-100, 100))
