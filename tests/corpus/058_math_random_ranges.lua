-- math.random ranges, statistics that do not depend on chance
math.randomseed(42)
local counts = {}
for i = 1, 6 do counts[i] = 0 end
for i = 1, 6000 do local r = math.random(6) counts[r] = counts[r] + 1 end
print(table.concat(counts, ' '))
local lo, hi = math.huge, -math.huge
for i = 1, 1000 do local r = math.random() lo = math.min(lo, r) hi = math.max(hi, r) end
print(lo >= 0, hi < 1, lo, hi)
local okint = true
for i = 1, 1000 do local r = math.random(-5, 5) if r < -5 or r > 5 or math.type(r) ~= 'integer' then okint = false end end
print(okint)
local bits = math.random(0)
print(math.type(bits), bits)
