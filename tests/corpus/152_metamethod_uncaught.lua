-- uncaught error inside __index: traceback shows the metamethod
local proxy = setmetatable({}, {__index = function(t, key)
  local function validate(k) if type(k) ~= 'number' then error('bad key: ' .. tostring(k)) end end
  validate(key)
  return key * 2
end})
print(proxy[21])
print(proxy.name)
