-- table.concat
print(table.concat({1, 2, 3}), table.concat({1, 2, 3}, ', '), table.concat({}, 'x'), table.concat({'a'}, 'x'))
print(table.concat({1, 2, 3, 4, 5}, '-', 2, 4), table.concat({1, 2, 3}, '-', 3, 2), table.concat({1, 2, 3}, '-', 3, 3))
print(table.concat({1.5, 2, -0.0, 1e100, 2^63}, ' '))
print(pcall(table.concat, {1, {}, 3}))
print(pcall(table.concat, {1, 2}, ',', 1, 3))
print(pcall(table.concat, {true}))
print(table.concat(setmetatable({}, {__index = function(_, i) return 'v' .. i end, __len = function() return 3 end}), '|'))
print(table.concat({'a', 'b'}, '', 1, 2), table.concat({[1] = 'x', [3] = 'z'}, ',', 1, 1))
