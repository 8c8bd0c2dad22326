-- exponentiation always gives floats
print(2 ^ 10, 2 ^ 0.5, 2 ^ -1, (-2) ^ 3, (-2) ^ 0.5 ~= (-2) ^ 0.5, 0 ^ 0, 0 ^ 1, 1 ^ math.huge)
print(10 ^ 308, 10 ^ 309, 10 ^ -323, 10 ^ -324, 2 ^ 1023, 2 ^ -1074)
print(math.type(2 ^ 2), (-8) ^ (1 / 3) ~= (-8) ^ (1 / 3), 4 ^ 0.5, 27 ^ (1 / 3))
print(2 ^ 3 ^ 2, (2 ^ 3) ^ 2, -2 ^ 2, 2 ^ -2 ^ -1)
for e = 0, 64, 8 do print(e, 2 ^ e, math.tointeger(2 ^ e)) end
print(math.huge ^ 0, (-math.huge) ^ 3, (-math.huge) ^ 2, 0.5 ^ math.huge)
