-- table.insert, table.sort of 200k numbers, pairs.
math.randomseed(42)
local t = {}
for i = 1, 200000 do table.insert(t, math.random(1, 1000000)) end
table.sort(t)
local h = {}
for i = 1, 100000 do h["k" .. i] = i end
local sum = 0
for _ = 1, 10 do for _, v in pairs(h) do sum = sum + v end end
for i = 1, #t, 1000 do sum = sum + t[i] end
print(sum)
