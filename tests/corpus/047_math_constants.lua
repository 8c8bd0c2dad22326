-- math constants
print(math.pi, string.format('%.17g', math.pi))
print(math.huge, -math.huge)
print(math.maxinteger, math.mininteger)
print(math.type(math.pi), math.type(math.huge), math.type(math.maxinteger))
print(string.format('%a', math.pi))
local names = {}
for k in pairs(math) do names[#names + 1] = k end
table.sort(names)
print(table.concat(names, ' '))
