-- method calls on strings and string metatable
local s = 'abc'
print(s:len(), s:upper(), ('%d'):format(5), #s, s:byte(-1))
print(getmetatable('').__index == string, getmetatable('abc') == getmetatable(''))
print(pcall(function() return ('x'):nonexistent() end))
print(('5') + 1, ('5') .. 1, ('10') // ('3'))
print(pcall(function() return #5 end))
print(string.format('%s', ('x'):rep(3)):upper())
local names = {}
for k in pairs(string) do names[#names + 1] = k end
table.sort(names)
print(table.concat(names, ' '))
