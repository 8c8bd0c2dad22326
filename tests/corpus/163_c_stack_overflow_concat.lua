-- deep recursion through metamethods and pcall
local mt = {}
mt.__concat = function(a, b) return setmetatable({}, mt) .. b end
print(pcall(function() return setmetatable({}, mt) .. 'x' end))
local function pc(n) return pcall(pc, n + 1) end
local r = table.pack(pc(0))
print(r.n, r[1], r[r.n - 1], r[r.n])
local eq = setmetatable({}, {__eq = function(a, b) return a == setmetatable({}, getmetatable(a)) end})
print(pcall(function() return eq == setmetatable({}, getmetatable(eq)) end))
local s = string.rep('(', 300) .. '1' .. string.rep(')', 300)
print(load('return ' .. s))
local n = string.rep('{', 300) .. string.rep('}', 300)
print(load('return ' .. n))
local neg, negerr = load('return ' .. string.rep('- ', 300) .. '1')
print(neg and neg() or negerr)
