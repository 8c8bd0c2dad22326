-- load with functions, modes and environments
local parts = {'return ', '1 + ', '2'}
local i = 0
print(load(function() i = i + 1 return parts[i] end)())
print(load('return x', 'c', 't', {x = 'from env'})())
print(load('\27Lua', 'bin', 't'))
print(load('return 1', 'txt', 'b'))
print(pcall(load, 'return 1', 'x', 'q'))
print(type(load(function() return nil end)), load(function() return nil end)())
print(pcall(load, function() return {} end))
print(pcall(load, function() error('reader failed') end))
local f = load('local a, b = ... return a * b')
print(f(6, 7))
print(load(string.dump(function() return 'dumped' end))())
