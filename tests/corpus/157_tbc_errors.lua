-- <close> variables whose __close errors
local function mk(name, fail)
  return setmetatable({}, {__close = function(_, err)
    print('closing ' .. name, err)
    if fail then error(name .. ' close error') end
  end})
end
print(pcall(function()
  local a <close> = mk('a', false)
  local b <close> = mk('b', true)
  return 'body ok'
end))
print(pcall(function()
  local a <close> = mk('a', true)
  local b <close> = mk('b', false)
  error('body error')
end))
print(pcall(function()
  local a <close> = mk('a', true)
  local b <close> = mk('b', true)
  error('original')
end))
print(pcall(function() local x <close> = 42 end))
print(pcall(function() local x <close> = nil local y <close> = false return 'nil and false are fine' end))
do
  local z <close> = mk('z', false)
  print('in block')
end
