-- string.format with integers, floats, strings, padding and %q.
local total = 0
for i = 1, 120000 do
  local s = string.format("%5d %-8s %8.3f %e %x %q", i, "name" .. i % 10, i / 3, i * 1.5, i, "x" .. i)
  total = total + #s + #string.format("%g %g %.14g", i / 7, i * 1e10, math.pi * i)
end
print(total)
