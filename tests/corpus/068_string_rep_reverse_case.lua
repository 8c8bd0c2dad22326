-- rep, reverse, upper, lower, len
print(('ab'):rep(3), ('ab'):rep(3, '-'), ('ab'):rep(1, '-'), ('ab'):rep(0, '-') == '', ('ab'):rep(-5) == '')
print(('x'):rep(10, ''), (''):rep(5, ','), #('abc'):rep(1000))
print(('Hello'):reverse(), (''):reverse(), ('a\0b'):reverse() == 'b\0a')
print(('Hello World 123 ÄÖ'):upper(), ('Hello World 123 ÄÖ'):lower())
print(#'', #'abc', ('a\0b'):len(), string.len('\u{10FFFF}'))
local t = {}
for i = 0, 255 do local c = string.char(i) if c:upper() ~= c then t[#t + 1] = c end end
print(table.concat(t))
t = {}
for i = 0, 255 do local c = string.char(i) if c:lower() ~= c then t[#t + 1] = c end end
print(table.concat(t))
print(pcall(string.rep))
print(pcall(string.rep, 'x', 1.5))
