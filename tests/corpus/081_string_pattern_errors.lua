-- malformed patterns
local bad = {'(', '%', '[a', '[a-', '[%a', '(()', '%b', '%ba', '%f', '%f[a', '(a))', '%9', ')', '%g[', '(%1)'}
for _, p in ipairs(bad) do
  print(string.format('%q', p), pcall(string.find, 'abc(a)', p))
end
print(pcall(string.rep, 'x', -1))
local deep = string.rep('(', 40) .. 'a' .. string.rep(')', 40)
print(pcall(string.find, 'a', deep))
local big = string.rep('a?', 300) .. string.rep('a', 300)
print(pcall(string.match, string.rep('a', 300), big))
