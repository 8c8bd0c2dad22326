-- pcall inside pcall, error rethrown
local function risky(n)
  if n > 2 then error('too big: ' .. n) end
  return n
end
local function wrapper(n)
  local ok, e = pcall(risky, n)
  if not ok then error('wrapper: ' .. e, 0) end
  return e
end
for n = 1, 4 do print(pcall(wrapper, n)) end
local ok, e = pcall(pcall)
print(ok, e)
print(pcall(pcall, error, 'x'))
print(select('#', pcall(error)))
print(pcall(setmetatable, 1, {}))
print(pcall(setmetatable, setmetatable({}, {__metatable = 'locked'}), {}))
print(getmetatable(setmetatable({}, {__metatable = 'locked'})))
print(pcall(rawset, {}, nil, 1))
print(pcall(next, {}, 'nokey'))
print(pcall(ipairs))
print(pcall(select, 0))
print(pcall(select, -5, 1))
