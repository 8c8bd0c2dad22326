-- packing a record and reading it back
local fmt = '<I2 s1 d i4 z B'
local rec = string.pack(fmt, 513, 'name', 3.75, -42, 'tail', 200)
print(#rec, string.packsize('<I2 d i4 B'))
print(string.format('%q', rec))
print(string.unpack(fmt, rec))
local bytes = {rec:byte(1, -1)}
print(table.concat(bytes, ','))
