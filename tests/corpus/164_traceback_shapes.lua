-- debug.traceback in a few shapes
print(debug.traceback())
print(debug.traceback('message'))
print(debug.traceback('message', 2))
print(debug.traceback(nil))
print(debug.traceback(42))
print(debug.traceback({}) ~= nil, type(debug.traceback({})))
local function a() return debug.traceback('in a', 1) end
local function b() return a() end
print(b())
local function tail() return debug.traceback('tail') end
local function caller() return tail() end
print(caller())
print(debug.traceback('level 0', 0))
print(debug.traceback('far level', 50))
local co = coroutine.create(function() coroutine.yield() end)
coroutine.resume(co)
print(debug.traceback(co, 'coroutine', 0))
print(debug.traceback(co, 'coroutine', 1))
