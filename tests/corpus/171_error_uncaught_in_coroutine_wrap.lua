-- uncaught error raised through nested coroutine.wrap
local function producer()
  coroutine.yield(1)
  coroutine.yield(2)
  local cfg = {}
  return cfg.missing.value
end
local gen = coroutine.wrap(producer)
print(gen(), gen())
local outer = coroutine.wrap(function() return gen() end)
outer()
