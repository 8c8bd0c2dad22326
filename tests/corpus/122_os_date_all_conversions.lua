-- every conversion allowed by Lua 5.4 on one time
local t = 1234567890
for c in ('aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%'):gmatch('.') do
  print('%' .. c, '[' .. os.date('!%' .. c, t) .. ']')
end
