-- integer for-loops with overflow edges
local n = 0
for i = math.maxinteger - 2, math.maxinteger do n = n + 1 end
print(n)
n = 0
for i = math.mininteger, math.mininteger + 2 do n = n + 1 end
print(n)
n = 0
for i = math.mininteger + 2, math.mininteger, -1 do n = n + 1 end
print(n)
for i = math.maxinteger - 1, math.maxinteger, 10 do io.write(i, ' ') end
io.write('\n')
for i = 1, 0 do print('never') end
for i = 1, 3, math.maxinteger do io.write(i, ' ') end
for i = -1, -3, math.mininteger do io.write(i, ' ') end
io.write('\n')
for i = 1, 3.5 do io.write(i, ':', math.type(i), ' ') end
io.write('\n')
for i = 1.0, 3 do io.write(i, ' ') end
for i = 0.1, 0.35, 0.1 do io.write(i, ' ') end
io.write('\n')
for i = 3, 1.5, -1 do io.write(i, ' ') end
for i = 1, math.huge do if i > 3 then break end io.write(i, ' ') end
for i = 1, -math.huge do io.write('x') end
io.write('\n')
for i = math.maxinteger, 1e100 do io.write(i, ' ') break end
for i = 0, 2^53 + 10, 2^52 do io.write(i, ' ') end
io.write('\n')
print(pcall(function() for i = 1, 10, 0 do end end))
print(pcall(function() for i = 1, 'x' do end end))
print(pcall(function() for i = {}, 1 do end end))
