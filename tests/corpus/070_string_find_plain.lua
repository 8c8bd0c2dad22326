-- string.find plain and with init
local s = 'hello world, hello lua'
print(s:find('hello'), s:find('hello', 2), s:find('hello', -9), s:find('xyz'))
print(s:find('o', 1, true), s:find('.', 1, true), s:find('', 1), s:find('', 100), s:find('', #s + 1))
print(s:find('l+'), s:find('l+', 1, true), ('a.b'):find('.', 1, true), ('a+b'):find('+', 1, true))
print(s:find('', -100), s:find('lua', -3), s:find('lua', -2), ('abc'):find('c', 10))
print(('a\0b'):find('\0'), ('a\0b'):find('%z'), ('a\0b'):find('[\0]'))
print(pcall(string.find, s, '(', 1))
print(pcall(string.find, s, '[a', 1))
print(pcall(string.find, s, '%', 1))
