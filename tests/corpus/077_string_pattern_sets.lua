-- sets, ranges, anchors and quantifiers
local s = 'The year 2024 had 366 days; 2023-12-31 was a Sunday!'
print(s:gsub('[aeiou]', '*'))
print(s:gsub('[^%a%s]', ''))
print(s:gsub('[0-9]+', '#'))
print(s:gsub('[a-cx-z]', '_'))
print(s:gsub('[%d%-]+', 'D'))
print(s:gsub('[]]', 'R'), ('a]b'):gsub('[]]', 'R'), ('a^b'):gsub('[%^]', 'C'), ('a-b'):gsub('[a-]', 'M'))
print(('^start'):find('^^'), ('x^'):find('^', 1, true), ('a$b'):find('$b'), ('ab$'):find('b$'))
print(('aaa'):match('^a?a?$'), ('aaaa'):match('^a?a?a?$'), ('color colour'):gsub('colou?r', 'C'))
print(('<a><b>'):match('<(.-)>'), ('<a><b>'):match('<(.*)>'))
print(('  x'):find('%S'), ('%d'):find('%%d'), ('a.b'):gsub('[.]', ','))
print(pcall(string.find, 'a', '[%'))
print(pcall(string.find, 'a', '%g['))
