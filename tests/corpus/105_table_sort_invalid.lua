-- "invalid order function" and other sort errors
local t = {}
for i = 1, 100 do t[i] = i % 10 end
print(pcall(table.sort, t, function(a, b) return true end))
local t2 = {3, 1, 2}
print(pcall(table.sort, t2, function(a, b) return a <= b end))
print(pcall(table.sort, t, function(a, b) error('cmp failed') end))
print(pcall(table.sort, t, 42))
print(pcall(table.sort, 'x'))
local t3 = {5, 4, 3, 2, 1}
table.sort(t3, function(a, b) return a < b end)
print(table.concat(t3, ' '))
