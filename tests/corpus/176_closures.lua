-- closures and upvalues
local function counter()
  local n = 0
  return function() n = n + 1 return n end
end
local c1, c2 = counter(), counter()
print(c1(), c1(), c1(), c2(), c1())
local fns = {}
for i = 1, 3 do fns[i] = function() return i end end
print(fns[1](), fns[2](), fns[3]())
local shared = {}
do
  local v = 0
  shared.get = function() return v end
  shared.set = function(x) v = x end
end
shared.set(42)
print(shared.get())
local function adder(a) return function(b) return function(c) return a + b + c end end end
print(adder(1)(2)(3), adder(0.5)(1)(1))
local acc = {}
local i = 1
while i <= 3 do local j = i acc[i] = function() return j * 10 end i = i + 1 end
print(acc[1](), acc[2](), acc[3]())
