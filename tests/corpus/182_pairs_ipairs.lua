-- __pairs is honoured; ipairs stops at nil; hash order is never printed unsorted
local t = setmetatable({}, {__pairs = function(t) return function(_, k) if not k then return 1, 'one' elseif k < 3 then return k + 1, 'v' .. (k + 1) end end, t, nil end})
for k, v in pairs(t) do io.write(k, '=', v, ' ') end
io.write('\n')
for i, v in ipairs({1, 2, nil, 4}) do io.write(i, ':', v, ' ') end
io.write('\n')
local proxy = setmetatable({}, {__index = function(_, i) if i <= 4 then return i * i end end})
for i, v in ipairs(proxy) do io.write(i, ':', v, ' ') end
io.write('\n')
local h = {b = 2, a = 1, c = 3, [10] = 'ten', [1.5] = 'x'}
local keys = {}
for k in pairs(h) do keys[#keys + 1] = tostring(k) end
table.sort(keys)
print(table.concat(keys, ' '))
local n = 0
for k, v in next, h do n = n + 1 end
print(n)
print(pcall(pairs))
print(pcall(function() for k in pairs(nil) do end end))
print(next({}), next({5}))
