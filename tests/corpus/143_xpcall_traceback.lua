-- xpcall with debug.traceback as handler
local function inner() local x = nil return x.y end
local function middle() return inner() end
local function outer() return middle() end
print(xpcall(outer, debug.traceback))
print(xpcall(function() error('plain') end, debug.traceback))
local ok, e = xpcall(function() error({}) end, debug.traceback)
print(ok, type(e))
print(xpcall(function() return 1, 2, 3 end, debug.traceback))
print(xpcall(function(a, b) return a + b end, debug.traceback, 3, 4))
print(xpcall(function() error('lvl0', 0) end, function(m) return 'handled: ' .. m end))
