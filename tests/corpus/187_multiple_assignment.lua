-- multiple assignment evaluation order and swaps
local a, b, c = 1, 2
print(a, b, c)
a, b = b, a
print(a, b)
local t = {1, 2, 3}
local i = 1
i, t[i] = i + 1, 'x'
print(i, t[1], t[2])
local x, y, z = (function() return 1, 2, 3 end)()
print(x, y, z)
local p, q = ((function() return 1, 2 end)())
print(p, q)
local m = {}
m.a, m.b, m.c = 'A', 'B'
print(m.a, m.b, m.c)
