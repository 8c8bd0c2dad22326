-- how nan values print (the sign comes from how each nan is produced)
local a = 0 / 0
local b = -(0 / 0)
local c = math.huge - math.huge
local d = math.huge * 0
local e = math.sqrt(-1)
local f = math.fmod(1.0, 0.0)
local g = tonumber('0x7ff8000000000000') and string.unpack('d', string.pack('i8', 0x7ff8000000000000))
local h = string.unpack('d', string.pack('i8', -0x8000000000000 ))
print(a, b, c, d, e)
print(f, g, h)
print(tostring(a), tostring(b), a .. '', b .. '')
print(string.format('%g %g %f %f', a, b, a, b))
io.write(a, ' ', b, '\n')
-- The sign of a NaN that acos/asin return is the libm's choice (README: "What differs").
print(math.log(-1), math.acos(2) ~= math.acos(2), math.asin(2) ~= math.asin(2))
