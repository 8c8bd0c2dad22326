-- table.sort with numbers
local t = {5, 3, 8, 1, 9, 2, 7, 4, 6, 0, -1, 3.5, -2.25, 1e10, -1e10}
table.sort(t)
print(table.concat(t, ' '))
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, ' '))
local big = {}
for i = 1, 200 do big[i] = (i * 7919) % 211 end
table.sort(big)
print(big[1], big[50], big[100], big[200])
local ok = true
for i = 2, #big do if big[i - 1] > big[i] then ok = false end end
print(ok)
local one = {1}
table.sort(one)
local empty = {}
table.sort(empty)
print(#one, #empty)
local ints = {math.maxinteger, math.mininteger, 0, -1, 1}
table.sort(ints)
print(table.concat(ints, ' '))
