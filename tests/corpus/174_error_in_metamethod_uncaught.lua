-- uncaught error in __add with level 2
local V = {}
V.__add = function(a, b)
  if getmetatable(b) ~= V then error('can only add vectors', 2) end
  return setmetatable({x = a.x + b.x}, V)
end
local v = setmetatable({x = 1}, V)
print((v + v).x)
local w = v + 5
