-- traceback of a deep stack is abbreviated
local function rec(n) if n == 0 then return debug.traceback('deep') end return (rec(n - 1)) end
local tb = rec(40)
print(tb)
local lines = select(2, tb:gsub('\n', '\n'))
print('lines', lines)
