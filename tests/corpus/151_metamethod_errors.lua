-- errors raised inside metamethods
local mt = {
  __index = function(t, k) error('no field ' .. k) end,
  __add = function(a, b) error('cannot add') end,
  __eq = function(a, b) error('cannot compare eq') end,
  __lt = function(a, b) error('cannot compare lt') end,
  __le = function(a, b) error({le = true}) end,
  __concat = function(a, b) error('cannot concat', 2) end,
  __call = function(self, x) error('call with ' .. tostring(x)) end,
  __unm = function() error('unm') end,
  __len = function() error('len', 0) end,
  __newindex = function(t, k, v) error('readonly ' .. k) end,
}
local a, b = setmetatable({}, mt), setmetatable({}, mt)
print(pcall(function() return a.foo end))
print(pcall(function() return a + 1 end))
print(pcall(function() return a == b end))
print(pcall(function() return a < b end))
print(pcall(function() return type((select(2, pcall(function() return a <= b end)))) end))
print(pcall(function() return a .. 'x' end))
print(pcall(function() return a(5) end))
print(pcall(function() return -a end))
print(pcall(function() return #a end))
print(pcall(function() a.bar = 1 end))
print(a == a, rawequal(a, b))
