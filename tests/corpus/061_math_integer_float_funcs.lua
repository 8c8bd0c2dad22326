-- functions that preserve or change subtypes
local function show(name, ...) local t = table.pack(...) local o = {} for i = 1, t.n do o[i] = tostring(t[i]) .. ':' .. (math.type(t[i]) or type(t[i])) end print(name, table.concat(o, ' ')) end
show('abs', math.abs(-3), math.abs(-3.0))
show('floor', math.floor(3), math.floor(3.7), math.floor(-3.7), math.floor(1e20))
show('ceil', math.ceil(3), math.ceil(3.2), math.ceil(-3.2), math.ceil(-1e20))
show('max', math.max(1, 2), math.max(1, 2.0), math.max(1.0, 2))
show('fmod', math.fmod(7, 3), math.fmod(7.0, 3), math.fmod(-7, 3))
show('modf', math.modf(7), math.modf(7.5))
show('sqrt', math.sqrt(16), math.sqrt(16.0))
show('tointeger', math.tointeger(7.0), math.tointeger(7.5), math.tointeger(7))
show('exp', math.exp(0), math.log(1))
show('div', 7 // 2, 7.0 // 2, 7 / 7, 2 ^ 2)
