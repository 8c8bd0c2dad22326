-- concatenation of floats and integers
local parts = {1, 1.0, -0.0, 0.1, 1e100, 2^53, 2^63, math.maxinteger, math.mininteger, 1/3, 100 / 2, 3 // 1, 3.0 // 1}
for _, v in ipairs(parts) do
  io.write('<', v .. '', '> ')
end
io.write('\n')
print(table.concat(parts, ','))
print(('x'):rep(3) .. 1 .. 2.5)
print(1 .. '' == '1', 1.0 .. '' == '1.0')
io.write(1, ' ', 1.0, ' ', 0.1, ' ', -0.0, ' ', 1e100, ' ', 2^63, ' ', 1/3, '\n')
