-- table.move
local a = {1, 2, 3, 4, 5}
table.move(a, 2, 4, 1)
print(table.concat(a, ','))
a = {1, 2, 3, 4, 5}
table.move(a, 1, 3, 3)
print(table.concat(a, ','))
local b = table.move({1, 2, 3}, 1, 3, 2, {9, 9, 9, 9})
print(table.concat(b, ','))
print(#table.move({}, 1, 0, 1, {7}))
print(pcall(table.move, {}, 1, math.maxinteger, 2))
print(pcall(table.move, {}, -1, math.maxinteger, 1))
local ok, r = pcall(table.move, {1}, 1, 1, math.maxinteger)
print(ok, type(r), r[math.maxinteger])
local c = table.move({1, 2, 3}, 1, 3, 1, {})
print(table.concat(c, ','))
