-- string.gmatch
for w in ('one two three'):gmatch('%a+') do io.write('[', w, ']') end
io.write('\n')
for k, v in ('a=1, b=2, c=3'):gmatch('(%w+)=(%w+)') do io.write(k, '->', v, ' ') end
io.write('\n')
for pos in ('abcabc'):gmatch('()b') do io.write(pos, ' ') end
io.write('\n')
for e in (''):gmatch('.*') do io.write('<', e, '>') end
io.write('\n')
for e in ('abc'):gmatch('') do io.write('.') end
io.write('\n')
for e in ('abc'):gmatch('x*') do io.write('<', e, '>') end
io.write('\n')
for a in ('hello world from lua'):gmatch('%a+', 7) do io.write(a, ';') end
io.write('\n')
for a in ('hello'):gmatch('.', -2) do io.write(a, ';') end
io.write('\n')
local n = 0
for _ in string.gmatch(string.rep('ab', 100), 'ab') do n = n + 1 end
print(n)
print(pcall(function() for x in ('a'):gmatch('(') do end end))
