-- C stack overflow caught by pcall
local t = setmetatable({}, {__index = function(t, k) return t[k] end})
print(pcall(function() return t.x end))
local function nest(n) return (string.gsub('x', 'x', function() return nest(n + 1) end)) end
print(pcall(nest, 0))
local function deep(n) return tostring(setmetatable({}, {__tostring = function() return deep(n + 1) end})) end
print(pcall(deep, 0))
local co
local function resumer() return coroutine.wrap(function() return resumer() end)() end
print(pcall(resumer))
print(load(function() error('reader error') end))
print(pcall(load, function() return load end))
print('continues')
