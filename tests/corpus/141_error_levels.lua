-- error with levels 0, 1, 2, 3
local function f(level) error('msg', level) end
local function g(level) f(level) end
local function h(level) g(level) end
for _, level in ipairs{0, 1, 2, 3, 4, 50} do
  print(level, pcall(h, level))
end
print(pcall(error, 'top', 1))
print(pcall(error, 'top', 2))
print(select(2, pcall(function() error('in anon') end)))
print(select(2, pcall(function() error('x', 2) end)))
