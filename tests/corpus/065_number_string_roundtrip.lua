-- tostring then tonumber round trips (%.14g loses digits)
local vals = {0.1, 1/3, math.pi, 2^53 + 0.0, 1e100, 123456789.123, 5e-324, 1e-300, -2.5}
for _, v in ipairs(vals) do
  local s = tostring(v)
  local back = tonumber(s)
  print(s, back == v, string.format('%.17g', back))
end
for _, v in ipairs{1, -1, math.maxinteger, math.mininteger, 0} do
  print(v, tonumber(tostring(v)) == v, math.type(tonumber(tostring(v))))
end
