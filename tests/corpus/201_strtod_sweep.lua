-- tonumber of %.17g output always gives back the same double
math.randomseed(7)
local bad, first = 0, nil
for i = 1, 5000 do
  local v = (string.unpack('<d', string.pack('<i8', math.random(0))))
  if v == v and v ~= math.huge and v ~= -math.huge then
    for _, f in ipairs{'%.17g', '%.20e', '%a'} do
      local s = string.format(f, v)
      local back = tonumber(s)
      if back ~= v then bad = bad + 1 first = first or s end
    end
  end
end
print('mismatches', bad, first)
local digits = {}
for i = 1, 30 do
  local s = tostring(math.random(0, 999999999)) .. '.' .. tostring(math.random(0, 999999999)) .. 'e' .. math.random(-330, 310)
  digits[#digits + 1] = s .. ' ' .. string.format('%a', tonumber(s))
end
print(table.concat(digits, '\n'))
