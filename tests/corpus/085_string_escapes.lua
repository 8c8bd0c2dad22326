-- escapes in string literals
print('tab:\t|', 'nl:\\n', 'quote:\'"', "dq:\"")
print(#'\a\b\f\n\r\t\v\\\"\'', string.byte('\a\b\f\n\r\t\v', 1, -1))
print('\65\066\0677', '\x41\x42\x43', '\x7e\x7E')
print('\u{48}\u{49}', '\u{E9}', '\u{20AC}', '\u{1F600}', #'\u{7FFFFFFF}', ('\u{7FFFFFFF}'):byte(1, -1))
print('a\z
       b', 'c\z     d')
print('line1\
line2')
print(#'\0\00\000', '\0499' == '\0' .. '499', '\1234' == '{4')
print(load([[return '\xzz']]))
print(load([[return '\u{110000000}']]))
print(load([[return '\300']]))
print(load([[return '\q']]))
print(load("return 'unfinished"))
print(load("return '\\u{48'"))
