-- deg and rad
for _, x in ipairs{0, 1, -1, math.pi, math.pi / 2, 2 * math.pi, 0.5} do
  print(x, math.deg(x), math.rad(math.deg(x)))
end
for _, d in ipairs{0, 30, 45, 60, 90, 180, 270, 360, -90, 1e10} do
  print(d, math.rad(d), string.format('%.17g', math.rad(d)))
end
print(math.deg(1), math.rad(180) == math.pi, math.type(math.deg(0)))
