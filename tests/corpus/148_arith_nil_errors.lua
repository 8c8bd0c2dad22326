-- arithmetic errors name the variables involved
local function try(f) print(select(2, pcall(f))) end
local x
local t = {}
try(function() return x + 1 end)
try(function() return 1 + x end)
try(function() return t.field * 2 end)
try(function() return t[1] - 1 end)
try(function() return undefined_global / 2 end)
try(function() return -x end)
try(function() return #x end)
try(function() return x .. 'a' end)
try(function() return 'a' .. {} end)
try(function() return ('abc') + 1 end)
try(function() local s = 'abc' return s * 2 end)
try(function() return t.a.b end)
try(function() local up = t return (function() return up.q.r end)() end)
try(function() return x & 1 end)
try(function() return 1.5 & 1 end)
try(function() return math.huge | 0 end)
try(function() return t < 1 end)
try(function() local s = {} return s.x.y.z end)
