-- float keys with integral values are normalised to integers
local t = {}
t[1.0] = 'one'
t[2] = 'two'
t[2^53] = 'big'
print(t[1], t[1.0], t[2.0], #t, t[2^53 | 0])
t[-0.0] = 'zero'
print(t[0], t[0.0])
t[1.5] = 'one and half'
print(t[1.5], t[3 / 2])
local keys = {}
for k in pairs(t) do keys[#keys + 1] = k end
table.sort(keys, function(a, b) return a < b end)
for _, k in ipairs(keys) do print(k, math.type(k), t[k]) end
print(rawget(t, 1.0), rawget(t, 2.0), next({[3.0] = 1}))
print(pcall(rawset, t, 0/0, 1))
print(pcall(function() t[nil] = 1 end))
print(t[nil], t[0/0])
