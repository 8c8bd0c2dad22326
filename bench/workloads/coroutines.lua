-- Coroutine ping-pong: resume and yield with values, generators through coroutine.wrap.
local co = coroutine.create(function(a)
  while true do a = coroutine.yield(a + 1) end
end)
local v = 0
for _ = 1, 1000000 do
  local _, r = coroutine.resume(co, v)
  v = r % 1000
end
local total = v
for _ = 1, 2000 do
  local gen = coroutine.wrap(function() for i = 1, 200 do coroutine.yield(i) end end)
  for x in gen do total = total + x end
end
print(total)
