-- tostring of floats (%.14g plus '.0' when it looks like an integer)
local vals = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1/3, 2/3, 100.0, 1e14, 1e15, 1e16, 1e100, 1e300, 1e-300,
  5e-324, 2.5e-310, 2^53, 2^63, -2^63, 2^64, 123456789012345.0, 1234567890123456.0, 3.14159265358979, 1e-5, 12.5e-1}
for _, v in ipairs(vals) do
  print(tostring(v), v, math.type(v))
end
print(1e15, 1e14 + 0.5, 2^24, 2.0^-1)
