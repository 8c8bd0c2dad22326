-- table.sort with strings and custom comparators
local words = {'pear', 'Apple', 'banana', 'apple', 'Cherry', 'date', '', 'fig', 'Banana'}
table.sort(words)
print(table.concat(words, ','))
table.sort(words, function(a, b) return a:lower() < b:lower() or (a:lower() == b:lower() and a < b) end)
print(table.concat(words, ','))
table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
print(table.concat(words, ','))
local recs = {{n = 'b', v = 2}, {n = 'a', v = 2}, {n = 'c', v = 1}}
table.sort(recs, function(x, y) if x.v ~= y.v then return x.v < y.v end return x.n < y.n end)
for _, r in ipairs(recs) do io.write(r.n, r.v, ' ') end
io.write('\n')
print(pcall(table.sort, {1, 'a', 2}))
print(pcall(table.sort, {{}, {}}))
