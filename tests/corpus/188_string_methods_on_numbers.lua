-- numbers are not strings but coerce for string functions
print(string.len(12345), string.upper(1.5), string.rep(7, 3), string.sub(123456, 2, 4))
print(string.byte(65), string.format('%s', 10 // 3), ('x'):rep(2.0))
print(pcall(function() return (5):len() end))
print(string.find(12345, 34), string.gsub(1000000, '0', '_'))
print(string.reverse(-1.5), #tostring(1/3))
