-- arithmetic, comparison and other metamethods
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
V.__mul = function(a, b) if type(a) == 'number' then return vec(a * b.x, a * b.y) end return vec(a.x * b, a.y * b) end
V.__div = function(a, b) return vec(a.x / b, a.y / b) end
V.__idiv = function(a, b) return vec(a.x // b, a.y // b) end
V.__mod = function(a, b) return vec(a.x % b, a.y % b) end
V.__pow = function(a, b) return vec(a.x ^ b, a.y ^ b) end
V.__unm = function(a) return vec(-a.x, -a.y) end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V.__lt = function(a, b) return a.x < b.x end
V.__le = function(a, b) return a.x <= b.x end
V.__len = function(a) return 2 end
V.__concat = function(a, b) return tostring(a) .. '&' .. tostring(b) end
V.__tostring = function(a) return '(' .. a.x .. ',' .. a.y .. ')' end
V.__call = function(a, k) return a[k] end
V.__band = function(a, b) return 'band' end
V.__shl = function(a, b) return 'shl' end
V.__bnot = function(a) return 'bnot' end
local a, b = vec(1, 2), vec(3, 4)
print(a + b, a - b, a * 2, 2 * a, b / 2, b // 2, b % 2, a ^ 2, -a)
print(a == vec(1, 2), a ~= b, a < b, a <= b, a > b, #a, a .. b, a .. 'str', 'str' .. a)
print(a('x'), a & 1, 1 << a, ~a)
