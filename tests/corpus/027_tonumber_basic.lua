-- tonumber with decimal strings
local strs = {'12', '  12  ', '\t12\n', '-12', '+12', '12.5', '.5', '5.', '1e2', '1E-2', '1e+2', '-0', '-0.0', '0x10', '0X1F',
  '-0x10', '0x', '1e', 'e1', '12a', 'a12', '', ' ', '1 2', '--1', '0x1p4', 'inf', 'nan', '1e309', '-1e309', '1e-400',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '0xffffffffffffffff',
  '0x7fffffffffffffff', '0x10000000000000000', '1.', '00012', '1_000', '0b101', '12\0'}
for _, s in ipairs(strs) do
  local n = tonumber(s)
  print(string.format('%q', s), n, math.type(n))
end
