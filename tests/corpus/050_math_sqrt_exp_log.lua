-- sqrt, exp, log
for _, v in ipairs{0, 1, 2, 4, 10, 0.5, 1e-300, 1e300, 100, 2^52} do
  print(v, math.sqrt(v), math.exp(v > 700 and 700 or v), math.log(v))
end
print(math.log(8, 2), math.log(100, 10), math.log(1000, 10), math.log(27, 3), math.log(1024, 2), math.log(2, 8))
print(math.log(0), math.log(0, 2), math.log(1, 10), math.log(10, 1))
print(math.exp(1), math.exp(-1), math.exp(710), math.exp(-746), math.exp(-745))
print(math.sqrt(2) * math.sqrt(2), math.sqrt(1e-320), math.log(math.huge), math.exp(-math.huge))
print(math.log(2^-1074), math.log(5, 2.5), math.log(0.5, 2), math.log(1e308, 10))
