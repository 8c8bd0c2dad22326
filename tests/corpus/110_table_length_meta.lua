-- length, __len and __index on table functions
local t = setmetatable({}, {__len = function() return 4 end, __index = function(_, k) return k * 10 end})
print(#t, rawlen(t), table.concat(t, ','), table.unpack(t))
local log = {}
local proxy = setmetatable({}, {__newindex = function(_, k, v) log[#log + 1] = k .. '=' .. tostring(v) end, __len = function() return 2 end})
table.insert(proxy, 'x')
print(table.concat(log, ' '))
print(#{1, 2, 3}, #{n = 1}, #'abc', rawlen({1, 2}), rawlen('abcd'))
print(pcall(rawlen, 5))
print(pcall(function() return #nil end))
local seq = {}
for i = 1, 10 do seq[i] = i end
for i = 10, 6, -1 do seq[i] = nil end
print(#seq)
