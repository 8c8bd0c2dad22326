-- with warnings on, __gc errors show up on stderr
warn('@on')
warn('hello ', 'warning')
do
  local x = setmetatable({}, {__gc = function() error('gc failure') end})
end
collectgarbage()
collectgarbage()
print('after gc')
warn('@off')
warn('hidden')
do local y = setmetatable({}, {__gc = function() error({}) end}) end
collectgarbage()
print('done')
warn('@on')
do local z = setmetatable({}, {__gc = function() error(setmetatable({}, {__tostring = function() return 'obj' end})) end}) end
collectgarbage()
print(pcall(warn))
print(pcall(warn, 'a', {}))
