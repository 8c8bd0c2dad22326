-- tonumber with bases 2..36
for base = 2, 36 do
  print(base, tonumber('10', base), tonumber('11', base), tonumber('zz', base), tonumber('ZZ', base), tonumber('-1z', base))
end
print(tonumber('ff', 16), tonumber('  ff  ', 16), tonumber('-FF', 16), tonumber('7fffffffffffffff', 16))
print(tonumber('ffffffffffffffff', 16), tonumber('10000000000000000', 16), tonumber('1111', 2))
print(tonumber('8', 8), tonumber('1.5', 10), tonumber('1e2', 10), tonumber('', 10), tonumber(' ', 10), tonumber('0x10', 16))
print(tonumber('zzzzzzzzzzzzz', 36), tonumber('1y2p0ij32e8e7', 36))
print(pcall(tonumber, '10', 1))
print(pcall(tonumber, '10', 37))
print(pcall(tonumber, 10, 16))
print(pcall(tonumber, '10', 2.5))
print(pcall(tonumber))
print(tonumber(nil))
print(tonumber({}), tonumber(true))
