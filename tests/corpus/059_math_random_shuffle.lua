-- Fisher-Yates shuffle with a fixed seed
math.randomseed(42)
local t = {}
for i = 1, 20 do t[i] = i end
for i = #t, 2, -1 do
  local j = math.random(i)
  t[i], t[j] = t[j], t[i]
end
print(table.concat(t, ' '))
table.sort(t)
print(table.concat(t, ' '))
local letters = {}
for i = 1, 26 do letters[i] = string.char(96 + math.random(26)) end
print(table.concat(letters))
