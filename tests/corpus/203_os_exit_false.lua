-- os.exit(false) and pending to-be-closed variables are not closed without close=true
local x <close> = setmetatable({}, {__close = function() print('closed') end})
print('exiting')
os.exit(false)
