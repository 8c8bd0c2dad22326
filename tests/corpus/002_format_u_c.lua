-- string.format %u and %c
for _, v in ipairs{0, 1, 255, 65535, -1, math.maxinteger, math.mininteger} do
  print(string.format('%u|%10u|%-10u|%010u|%.5u', v, v, v, v, v))
end
for _, c in ipairs{65, 97, 48, 32, 126, 10, 0, 255, 128, 9} do
  print(string.format('[%c][%3c][%-3c]', c, c, c))
end
print(string.format('%c%c%c', 76, 117, 97))
print(string.format('%c', 65.0))
print(pcall(string.format, '%+c', 65))
print(pcall(string.format, '%.2c', 65))
print(pcall(string.format, '%+u', 1))
print(pcall(string.format, '% u', 1))
