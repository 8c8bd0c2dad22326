-- calling nil fields and globals (uncaught at the end)
local config = {handlers = {}}
print(pcall(function() config.handlers.onload() end))
print(pcall(function() config.handlers['on-save']() end))
print(pcall(function() config['handlers'].x.y() end))
print(pcall(function() local k = 'key' config[k]() end))
print(pcall(function() return math.nope(1) end))
print(pcall(function() local m = math m.nope2(1) end))
config.run()
