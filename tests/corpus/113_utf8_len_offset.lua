-- utf8.len and utf8.offset
local s = 'aé€😀b'
print(#s, utf8.len(s), utf8.len(s, 2), utf8.len(s, -1), utf8.len(s, 1, 1), utf8.len(''))
print(utf8.len('\255abc'), utf8.len('ab\128cd'), utf8.len('é', 2))
print(pcall(utf8.len, s, 20))
print(utf8.len(s, 3), utf8.len(s, #s + 1))
for n = -6, 7 do io.write(tostring(utf8.offset(s, n)), ' ') end
io.write('\n')
print(utf8.offset(s, 0, 3), utf8.offset(s, 0, 4), utf8.offset(s, 1, 2), pcall(utf8.offset, s, 1, 3))
print(utf8.offset('abc', 5), utf8.offset('abc', -5), utf8.offset('', 1), utf8.offset('', 0))
print(pcall(utf8.offset, 'abc', 1, 10))
print(utf8.len('\u{D7FF}\u{E000}'), utf8.len('\xED\xA0\x80'), utf8.len('\xED\xA0\x80', 1, -1, true))
print(utf8.len('\xF4\x90\x80\x80'), utf8.len('\xF4\x90\x80\x80', 1, -1, true))
