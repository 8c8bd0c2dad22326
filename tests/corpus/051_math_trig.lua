-- trigonometric functions
local function p(...) local t = {...} for i = 1, #t do t[i] = string.format('%.15g', t[i]) end print(table.concat(t, ' ')) end
for _, x in ipairs{0, 0.5, 1, -1, math.pi / 6, math.pi / 4, math.pi / 2, math.pi, 2 * math.pi, 10, 100, 1e10} do
  p(x, math.sin(x), math.cos(x), math.tan(x))
end
for _, x in ipairs{-1, -0.5, 0, 0.5, 1} do
  p(x, math.asin(x), math.acos(x), math.atan(x))
end
p(math.atan(1, 1), math.atan(1, -1), math.atan(-1, -1), math.atan(-1, 1), math.atan(0, -1), math.atan(-0.0, -1))
p(math.atan(1, 0), math.atan(-1, 0), math.atan(0, 0), math.atan(math.huge), math.atan(math.huge, math.huge))
print(math.sin(0), math.sin(-0.0), math.cos(0), math.tan(-0.0), math.atan(0))
