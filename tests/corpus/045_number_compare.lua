-- comparison between integers and floats at precision edges
local max = math.maxinteger
print(max < 2^63, max <= 2^63, max == 2^63, max > 2^63)
print(2^53 == 2^53 + 1, (2^53 | 0) + 1 == 2^53 + 1, (2^53 | 0) + 1 > 2^53)
print(math.mininteger == -2^63, math.mininteger < -2^63, math.mininteger <= -2^63)
print(1 < 1.5, 1 <= 1.0, -1 > -1.5, 3 == 3.0000000000000001)
print(math.huge > max, -math.huge < math.mininteger, 0/0 ~= max)
local t = {10, 1.5, -3, 2^53, -0.0, 7, math.mininteger, 0.25, math.maxinteger, 1e100, -1e100}
table.sort(t)
for i = 1, #t do io.write(tostring(t[i]), ' ') end
io.write('\n')
print(math.max(1, 2.0, 1.5), math.min(3, 2.0, 2), math.max(2, 2.0), math.min(2.0, 2))
