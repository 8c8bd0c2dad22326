-- bitwise operators on integers and convertible floats/strings
print(0xF0 & 0x3C, 0xF0 | 0x3C, 0xF0 ~ 0x3C, ~0xF0, 0xF0 << 4, 0xF0 >> 4)
print(-1 >> 60, -1 << 60, 1 << 62, 1 << 63, (1 << 63) >> 63, 1 << 64)
print(5 & 3.0, 2^10 | 0, pcall(function() return 2.5 | 0 end))
print(pcall(function() return '5' | 0 end))
print(math.mininteger >> 1, math.mininteger // 2, math.maxinteger << 1)
print(string.format('%x %x %x', ~0, ~0 >> 4, ~0 << 4))
local function popcount(x) local c = 0 while x ~= 0 do x = x & (x - 1) c = c + 1 end return c end
print(popcount(0), popcount(255), popcount(-1), popcount(math.mininteger))
print(pcall(function() return 1 << {} end))
print(pcall(function() return 'a' & 1 end))
