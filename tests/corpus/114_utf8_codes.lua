-- utf8.codes and utf8.charpattern
for p, c in utf8.codes('aé€😀') do io.write(p, ':', c, ' ') end
io.write('\n')
print(utf8.charpattern == '[\0-\x7F\xC2-\xFD][\x80-\xBF]*', #utf8.charpattern)
local chars = {}
for ch in ('añ€😀z'):gmatch(utf8.charpattern) do chars[#chars + 1] = #ch end
print(table.concat(chars, ','))
print(pcall(function() for p, c in utf8.codes('ab\255') do end end))
print(pcall(function() for p, c in utf8.codes('a\xC3') do io.write(p, ' ') end end))
for p, c in utf8.codes('\u{7FFFFFFF}', true) do io.write(p, ':', c, ' ') end
io.write('\n')
print(pcall(function() for p, c in utf8.codes('\xF4\x90\x80\x80') do end end))
print(pcall(function() for p, c in utf8.codes('\xC0\x80') do end end))
local n = 0
for _ in utf8.codes('') do n = n + 1 end
print(n)
