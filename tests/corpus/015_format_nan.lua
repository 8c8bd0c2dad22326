-- nan through every float conversion (sign of nan as the platform prints it)
local nan = 0/0
local pnan = -(0/0)
for _, v in ipairs{nan, pnan, math.huge - math.huge, math.sqrt(-1)} do
  print(string.format('%f|%e|%E|%g|%G|%a|%A|%10f|%-10g|%+f|% e', v, v, v, v, v, v, v, v, v, v, v))
end
print(nan ~= nan, pnan ~= pnan)
print(tostring(nan) == tostring(nan))
print(string.format('%q', nan), string.format('%q', pnan))
