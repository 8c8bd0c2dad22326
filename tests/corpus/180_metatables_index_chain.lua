-- metatables and __index chains
local Base = {}
Base.__index = Base
function Base.new(x) return setmetatable({x = x}, Base) end
function Base:describe() return 'Base(' .. self.x .. ')' end
function Base:kind() return 'base' end
local Derived = setmetatable({}, {__index = Base})
Derived.__index = Derived
function Derived.new(x, y) local o = Base.new(x) o.y = y return setmetatable(o, Derived) end
function Derived:describe() return 'Derived(' .. self.x .. ',' .. self.y .. ') < ' .. Base.describe(self) end
local d = Derived.new(1, 2)
print(d:describe(), d:kind(), d.missing, rawget(d, 'kind'))
local chain = {}
for i = 1, 5 do chain[i] = setmetatable({['level' .. i] = i}, {__index = chain[i - 1]}) end
print(chain[5].level1, chain[5].level5, chain[5].level6)
local default = setmetatable({}, {__index = function(t, k) return k .. '?' end})
print(default.a, default[1], rawget(default, 'a'))
local ro = setmetatable({}, {__newindex = function(t, k, v) rawset(t, k, v * 2) end})
ro.a = 5
print(ro.a)
print(getmetatable(d) == Derived, getmetatable('x').__index == string)
