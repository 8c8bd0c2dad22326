-- table.pack and table.unpack
local p = table.pack(1, nil, 3, nil)
print(p.n, p[1], p[2], p[3], p[4])
print(table.pack().n, select('#', table.unpack({})))
print(table.unpack({1, 2, 3}))
print(table.unpack({1, 2, 3}, 2))
print(table.unpack({1, 2, 3}, 2, 5))
print(table.unpack({1, 2, 3}, -1, 1))
print(select('#', table.unpack({}, 1, 0)), select('#', table.unpack({}, 5, 4)))
print(pcall(table.unpack, {}, 1, 1e7))
print(pcall(table.unpack, {}, math.mininteger, math.maxinteger))
print(table.unpack({'a', 'b'}, 1.0, 2.0))
local big = {}
for i = 1, 250 do big[i] = i end
print(select('#', table.unpack(big)), select(250, table.unpack(big)))
