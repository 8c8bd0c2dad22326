-- string comparison is byte-wise (strcoll in the C locale)
local words = {'b', 'a', 'B', 'A', 'aa', 'a\0b', 'a\0a', '', ' ', 'z', 'Z', '10', '9', '\255', '\128', 'a b', 'ab'}
table.sort(words)
for i, w in ipairs(words) do io.write(string.format('%q', w), i < #words and ' ' or '\n') end
print('a' < 'b', 'a' < 'B', 'abc' < 'abd', 'ab' < 'abc', '' < 'a', 'a\0' > 'a', 'a\0b' < 'a\0c')
print('Z' < 'a', '10' < '9', '\255' > '\1', 'é' > 'e')
print(pcall(function() return 'a' < 1 end))
