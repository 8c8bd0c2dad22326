-- inf through conversions with flags
local inf = math.huge
for _, v in ipairs{inf, -inf} do
  print(string.format('%f|%e|%E|%g|%G|%a|%A', v, v, v, v, v, v, v))
  print(string.format('%10f|%-10f|%010f|%+f|% f|%#g|%.3e', v, v, v, v, v, v, v))
end
print(string.format('%q %q', inf, -inf))
print(math.huge, -math.huge, 1e309, -1e309, 2^1024)
