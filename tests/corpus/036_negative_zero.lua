-- -0.0 behaviour
local nz = -0.0
print(nz, 0.0, -nz, 0 * -1, 0.0 * -1, -0.0 + 0.0, -0.0 - 0.0, -0.0 * -0.0)
print(nz == 0, nz == 0.0, 1 / nz, math.type(nz), string.format('%g %f %e %a', nz, nz, nz, nz))
print(math.abs(nz), math.floor(nz), math.ceil(nz), math.tointeger(nz), math.fmod(nz, 1))
print(math.max(nz, 0.0), math.min(0.0, nz), math.sqrt(nz), nz ^ 1, nz // 1, nz % 1)
print(math.ceil(-0.5), math.type(math.ceil(-0.5)), 1 / (math.ceil(-0.5) + 0.0))
local t = {}
t[nz] = 'negzero'
print(t[0], t[0.0])
print(tostring(-0.0), tostring(0 / -1), tostring(-0.0 * 1), -0.0 .. '')
print(string.format('%q', nz), math.ult(0, 1))
print(-(0), -(0.0), - -0.0)
