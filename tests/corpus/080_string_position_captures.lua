-- position captures
print(('hello'):match('()'))
print(('hello'):match('()ll()'))
print(('hello'):find('()l()'))
print(('aaa'):gsub('()', '%1'))
print(('abc'):gmatch('()')())
local t = {}
for p, c in ('abc'):gmatch('()(.)') do t[#t + 1] = p .. c end
print(table.concat(t, ','))
print(('hello world'):match('()o()', 6))
print(string.find('abc', '()', 4), string.find('abc', '()', 5))
print(('x'):gsub('()', function(p) return '[' .. p .. ']' end))
