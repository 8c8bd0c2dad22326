-- keys that are floats with integer values
local t = {}
for i = 1, 5 do t[i + 0.0] = i end
print(#t, t[3], math.type(next(t)))
t[2^63] = 'float key beyond integers'
print(t[2^63], t[math.mininteger])
t[math.maxinteger] = 'max'
print(t[math.maxinteger], t[math.maxinteger + 0.0])
t[-0.0] = 'z'
print(t[0], t[-0.0])
local keys = {}
for k in pairs(t) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(tostring(k), '(', math.type(k), ') ') end
io.write('\n')
