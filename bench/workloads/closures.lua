-- Creating and calling closures with upvalues.
local function counter()
  local n = 0
  return function(k) n = n + k return n end
end
local total = 0
for i = 1, 1000000 do
  local c = counter()
  c(i) c(1)
  total = total + c(0)
end
local adders = {}
for i = 1, 100 do adders[i] = function(x) return x + i end end
for _ = 1, 60000 do for i = 1, 100 do total = adders[i](total) % 1000000007 end end
print(total)
