-- string.format %f and %F
local vals = {0.0, -0.0, 1.0, -1.0, 0.1, 1/3, 2/3, 0.5, 1.5, 2.5, 0.125, 123.456, 1e15, 1e16, 2^53, 2^63, 1e-5, 5e-324}
for _, v in ipairs(vals) do
  print(string.format('%f|%.0f|%.1f|%.2f|%.10f|%12.3f|%-12.3f|%012.3f|%+f|% f|%#.0f', v, v, v, v, v, v, v, v, v, v, v))
end
print(string.format('%f %f', 1/0, -1/0))
print(pcall(string.format, '%F', 1.5))
print(string.format('%5.1f|%-8.2f|%08.2f', 3, -3, 7))
