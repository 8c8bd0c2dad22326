-- nan and inf behaviour (comparisons and tostring)
local inf, ninf = math.huge, -math.huge
local nan = inf - inf
print(inf, ninf, inf + inf, inf * -1, 1 / inf, -1 / inf, inf / inf ~= inf / inf)
print(nan ~= nan, nan == nan, nan < 1, nan > 1, 1 < nan, nan <= nan)
print(math.type(nan), math.type(inf), math.tointeger(inf), math.tointeger(nan))
print(math.floor(inf), math.ceil(ninf), math.abs(ninf), math.max(1, inf), math.min(1, ninf))
print(pcall(function() local t = {} t[nan] = 1 end))
print(({[inf] = 'pos'})[inf], ({[ninf] = 'neg'})[-inf])
print(inf // 1, ninf // 1, inf % 2 ~= inf % 2, 5 % inf, -5 % inf, 5 % ninf, -5 % ninf)
print(math.fmod(5, inf), math.fmod(-5, inf), 2 ^ 1024, (-2) ^ 1025, 0 ^ -1)
print(math.max(nan, 1) ~= math.max(nan, 1), math.min(1, nan))
print(string.format('%.3f %g', inf, ninf), tostring(inf), tostring(ninf))
