-- a checksum of formatted dates over a long range (one day steps)
local sum, count = 0, 0
local t = -86400 * 365 * 3
for i = 1, 3000 do
  local s = os.date('!%Y%m%d%j%U%W%V%G%u%w', t)
  for j = 1, #s do sum = (sum * 31 + s:byte(j)) % 1000000007 end
  count = count + 1
  t = t + 86400 * 7 + 3607
end
print(count, sum, os.date('!%F %T', t))
