-- coroutine.close with pending to-be-closed variables
local log = {}
local function closer(name) return setmetatable({}, {__close = function(_, err) log[#log + 1] = name .. ':' .. tostring(err) end}) end
local co = coroutine.create(function()
  local a <close> = closer('a')
  local b <close> = closer('b')
  coroutine.yield('suspended')
end)
print(coroutine.resume(co))
print(coroutine.close(co), coroutine.status(co))
print(table.concat(log, ' '))
log = {}
local co2 = coroutine.create(function()
  local c <close> = setmetatable({}, {__close = function() error('close failed') end})
  coroutine.yield()
end)
coroutine.resume(co2)
print(coroutine.close(co2))
print(coroutine.close(coroutine.create(print)))
local co3 = coroutine.create(function() error('dead') end)
coroutine.resume(co3)
print(coroutine.close(co3))
print(pcall(coroutine.close, coroutine.running()))
