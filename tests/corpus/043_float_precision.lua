-- float precision with %.17g and arithmetic results
print(string.format('%.17g', 0.1 + 0.2), 0.1 + 0.2 == 0.3, 0.1 + 0.2)
print(string.format('%.17g', 1 - 0.9), string.format('%.17g', 100 * 1.1))
print(string.format('%.17g', 1e16 + 1), string.format('%.17g', 2^53 + 1), 2^53 + 1 == 2^53)
local s = 0
for i = 1, 10 do s = s + 0.1 end
print(s, string.format('%.17g', s), s == 1)
print(string.format('%.17g %.17g', math.pi, -math.pi))
print(string.format('%.17g', 3 * 1.1), 3 * 1.1)
print(7 / 3, -7 / 3, 1 / 7, 22 / 7, 355 / 113)
print(2^0.5, 10^-2, 10^15, 10^16, 2^-1074)
print(1e15 / 3, 1e16 / 3, 12345678.9 * 1000)
