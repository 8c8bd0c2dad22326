-- table library argument errors
print(pcall(table.concat))
print(pcall(table.insert))
print(pcall(table.insert, nil, 1))
print(pcall(table.remove))
print(pcall(table.move))
print(pcall(table.unpack))
print(pcall(table.sort))
print(pcall(table.concat, {}, {}))
print(pcall(table.insert, setmetatable({}, {__len = function() return 'x' end}), 1))
print(pcall(table.insert, {}, 1.5, 'x'))
local names = {}
for k in pairs(table) do names[#names + 1] = k end
table.sort(names)
print(table.concat(names, ' '))
