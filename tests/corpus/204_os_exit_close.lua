-- os.exit(true, true) closes the state
local x <close> = setmetatable({}, {__close = function() print('closed on exit') end})
setmetatable({}, {__gc = function() print('gc on exit') end})
print('exiting')
os.exit(true, true)
