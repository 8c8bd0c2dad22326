-- error messages for upvalues, methods, fields, constants
local up = nil
local function f() return up.x end
print(pcall(f))
local obj = {}
print(pcall(function() obj:method() end))
print(pcall(function() obj.field.inner() end))
print(pcall(function() string.nothing() end))
print(pcall(function() local a = {} a.b.c = 1 end))
print(pcall(function() nofunc() end))
print(pcall(function() local lf lf() end))
print(pcall(function() up() end))
print(pcall(function() ('x')() end))
print(pcall(function() (1)() end))
print(pcall(function() local t = setmetatable({}, {__index = function() return nil end}) t.x() end))
print(pcall(function() return {} < {} end))
print(pcall(function() return 1 < 'x' end))
print(pcall(function() return {} <= 1 end))
print(pcall(function() return nil > 1 end))
print(pcall(function() for i = 1, 'x' do end end))
print(pcall(function() for i = 1, 10, 0 do end end))
print(pcall(function() for i = 1.5, 10, 0 do end end))
