-- to-be-closed variables close in reverse order, also on break/return/goto
local function mk(n) return setmetatable({}, {__close = function() io.write('close ', n, '; ') end}) end
do
  local a <close> = mk(1)
  local b <close> = mk(2)
  local c <const> = 3
  io.write('body ', c, '; ')
end
io.write('\n')
for i = 1, 3 do
  local x <close> = mk('loop' .. i)
  if i == 2 then break end
end
io.write('\n')
local function f()
  local y <close> = mk('f')
  return 'returned'
end
io.write(f(), '\n')
local n = 0
::again::
do
  local z <close> = mk('goto' .. n)
  n = n + 1
  if n < 3 then goto again end
end
io.write('\n')
for k, v in pairs({}), {}, nil, mk('generic-for') do end
io.write('\n')
