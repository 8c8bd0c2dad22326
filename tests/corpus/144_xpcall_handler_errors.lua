-- errors in the message handler
print(xpcall(function() error('a') end, function(m) error('b') end))
print(xpcall(function() error('a') end, function(m) return m:upper() end))
print(pcall(xpcall))
print(pcall(xpcall, print))
print(xpcall(error, print, 'from error'))
local depth = 0
print(xpcall(function() error('x') end, function(m) depth = depth + 1 return depth end))
print(select('#', xpcall(function() error('a') end, function() return 1, 2, 3 end)))
