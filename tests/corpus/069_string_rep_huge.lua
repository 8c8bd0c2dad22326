-- string.rep with a huge count
print(pcall(string.rep, 'x', math.maxinteger, 'y'))
print(pcall(string.rep, 'xx', math.maxinteger))
print(pcall(string.rep, 'abc', 2^62))
print(pcall(string.rep, 'ab', math.maxinteger // 2 + 1))
print(#string.rep('', 100000), #string.rep('', 100000, ''))
print(#string.rep('x', 0, 'sep'))
print(pcall(function() return ('x'):rep(1e10 // 1 * 1e10 // 1) end))
