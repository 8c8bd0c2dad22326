-- length operator and concatenation of long strings
local parts = {}
for i = 1, 100 do parts[i] = tostring(i) end
local s = table.concat(parts)
print(#s, s:sub(1, 20), s:sub(-10))
local acc = ''
for i = 1, 50 do acc = acc .. i .. ',' end
print(#acc, acc:sub(1, 30))
print(#(('x'):rep(100000)), ('ab'):rep(5):len())
local big = ('0123456789'):rep(10000)
print(#big, big:find('9012', 99990), big:byte(100000))
