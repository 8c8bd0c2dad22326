-- errors in __gc are warnings (off by default): the program continues
do
  local x = setmetatable({}, {__gc = function() error('gc failure') end})
  x = nil
end
collectgarbage()
collectgarbage()
print('still running')
local count = 0
for i = 1, 10 do setmetatable({}, {__gc = function() count = count + 1 end}) end
collectgarbage()
collectgarbage()
print('finalized', count)
print(type(collectgarbage('count')), math.type(collectgarbage('count')))
print(collectgarbage('isrunning'), collectgarbage('step') ~= nil, collectgarbage('incremental'))
print(collectgarbage('generational'), collectgarbage('incremental'))
print(pcall(collectgarbage, 'bogus'))
