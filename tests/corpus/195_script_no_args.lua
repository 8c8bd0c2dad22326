-- a script run with no arguments
print(#arg, select('#', ...), arg[1], arg[0] ~= nil)
local keys = {}
for k in pairs(arg) do if k >= 0 then keys[#keys + 1] = k end end
table.sort(keys)
print(table.concat(keys, ','))
