-- Restores the hex payload in the file arg[1] (written by make.lua, possibly on the other
-- target) and checks every part of the graph; prints "ok".
local f = assert(io.open(arg[1], "rb"))
local hex = f:read("a"):gsub("%s", "")
f:close()
local g = persist.deserialize((hex:gsub("..", function(h) return string.char(tonumber(h, 16)) end)))
assert(g.self == g, "cycle")
assert(g.shared_a == g.shared_b and g.shared_a[1] == "shared", "shared table")
assert(g.counter.get() == 15 and g.counter.inc() == 16 and g.counter.get() == 16, "shared upvalue")
assert(g.fib(20) == 6765, "recursive local function")
local n = g.numbers
assert(n[1] == 1 and math.type(n[2]) == "float" and 1 / n[3] == -math.huge and n[4] == 0.1, "numbers")
assert(n[5] == math.maxinteger and n[6] == math.mininteger and n[7] == math.huge and n[8] == 2^53, "extremes")
assert(n.nope == "missing nope", "metatable")
assert(g.text == "bytes\0with\255nul", "binary string")
assert(g.fmt == string.format, "C function by name")
marker = "global here"
assert(g.uses_global() == "global here", "globals re-bind")
assert(g.env() == 42, "custom _ENV kept")
print("ok")
