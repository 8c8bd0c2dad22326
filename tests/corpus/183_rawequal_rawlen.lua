-- raw access functions
local mt = {__eq = function() return true end, __len = function() return 99 end, __index = function() return 'meta' end}
local a, b = setmetatable({1, 2}, mt), setmetatable({}, mt)
print(a == b, rawequal(a, b), rawequal(a, a), #a, rawlen(a), a.x, rawget(a, 'x'))
print(rawequal(1, 1.0), rawequal('a', 'a'), rawequal(0, -0.0), rawequal(nil, nil), rawequal({}, {}))
print(pcall(rawequal, 1))
print(pcall(rawget, 'str', 1))
print(rawlen('hello'), pcall(rawlen, 12))
rawset(a, 'y', 5)
print(rawget(a, 'y'), a.y)
print(rawequal(math.huge, 1/0), rawequal(0/0, 0/0))
