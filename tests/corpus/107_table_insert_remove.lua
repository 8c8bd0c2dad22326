-- table.insert and table.remove
local t = {}
table.insert(t, 'a')
table.insert(t, 'b')
table.insert(t, 1, 'z')
table.insert(t, 3, 'm')
print(table.concat(t, ','), #t)
print(table.remove(t), table.concat(t, ','))
print(table.remove(t, 1), table.concat(t, ','))
print(table.remove({}), table.remove({}, 0), #t)
print(table.remove(t, #t + 1), table.concat(t, ','))
print(pcall(table.insert, t, 5, 'x'))
print(pcall(table.insert, t, 0, 'x'))
print(pcall(table.insert, t))
print(pcall(table.insert, t, 1, 2, 3))
print(pcall(table.remove, t, 5))
local u = {n = 1}
u[0] = 'zero'
print(table.remove(u, 0), u[0])
table.insert(t, #t + 1, 'end')
print(table.concat(t, ','))
