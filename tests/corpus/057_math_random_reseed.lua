-- reseeding gives the same sequence; different seeds give different ones
local function seq(...)
  math.randomseed(...)
  local t = {}
  for i = 1, 6 do t[i] = math.random(1000) end
  return table.concat(t, ',')
end
print(seq(42))
print(seq(42))
print(seq(42) == seq(42), seq(1) == seq(2))
print(seq(0), seq(-1))
print(seq(42, 7))
print(pcall(seq, 1.5))
print(seq(3.0) == seq(3))
print(seq(math.maxinteger), seq(math.mininteger))
math.randomseed(123)
print(string.format('%.17g', math.random()), string.format('%a', math.random()))
