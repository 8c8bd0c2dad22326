-- math.random after math.randomseed(42)
math.randomseed(42)
local t = {}
for i = 1, 8 do t[i] = math.random(100) end
print(table.concat(t, ' '))
for i = 1, 5 do print(math.random()) end
for i = 1, 5 do print(math.random(-10, 10), math.random(0), math.random(3, 3)) end
print(math.random(math.mininteger, math.maxinteger))
print(math.random(1, math.maxinteger))
print(math.random(math.mininteger, -1))
print(pcall(math.random, 2, 1))
print(pcall(math.random, 0.5))
print(pcall(math.random, 1, 2, 3))
