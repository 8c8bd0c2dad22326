-- 12-hour clock conversions through a day (%l is not allowed in Lua 5.4)
for h = 0, 23 do
  local t = 86400 * 10 + h * 3600 + h * 61
  print(h, os.date('!%I %p %r %R %T %X %H', t))
end
print(pcall(os.date, '!%l', 0))
