-- uncaught error() with a string
io.write('partial output ')
print('line')
local t = {}
function t.method(self) error('custom failure: ' .. 42) end
t:method()
