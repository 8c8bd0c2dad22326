-- args: alpha 42 -3.5 "" 0x10
-- the arg table and the main chunk's ... (arguments come from the first line)
print(#arg, arg[0])
for i = 1, #arg do print(i, arg[i], type(arg[i]), tonumber(arg[i])) end
print(select('#', ...), ...)
local a, b = ...
print(a, b, math.type(tonumber(b)))
print(arg[#arg + 1])
