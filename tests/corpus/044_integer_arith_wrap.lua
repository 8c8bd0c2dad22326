-- integer arithmetic wraps around
local max, min = math.maxinteger, math.mininteger
print(max + 1, min - 1, max * 2, min * 2, max * max, min * min, -min)
print(max + 1 == min, max * -1, min // 1, min / 1)
print(1 << 63, 1 << 64, 1 << -1, -1 >> 1, -1 >> 63, -1 >> 64, 3 << 62, 1 >> -2)
print(~0, ~max, 5 & 3, 5 | 3, 5 ~ 3, -8 >> 1, 0xff ~ 0x0f)
print(max // 2, max % 10, min % 10, min // 10)
print(2^63 == max + 1.0, max + 0.0 == 2^63, max < 2^63, max + 0.0 < 2^63)
print(max == max + 0.0, min == min + 0.0, math.ult(max, min), math.ult(-1, 0))
print(string.format('%d %x', min, min), 7 // -2, -7 // 2, 7 % -2, -7 % 2)
