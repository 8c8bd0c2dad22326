-- anchored gsub and gmatch
print(('aaa'):gsub('^a', 'b'))
print(('hello hello'):gsub('^hello', 'bye'))
for w in ('abc abc'):gmatch('^abc') do io.write(w, ';') end
io.write('\n')
print(('abc'):gsub('$', '!'), ('abc'):gsub('^', '!'))
print(('  x  '):gsub('^%s+', ''), ('  x  '):gsub('%s+$', ''))
print(('a\nb\nc'):gsub('\n', '\\n'))
print(('x$y'):gsub('%$', 'S'), ('a^b'):gsub('%^', 'C'), ('a^b'):gsub('a^', 'Q'))
