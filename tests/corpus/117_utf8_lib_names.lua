-- utf8 library contents and escapes
local names = {}
for k in pairs(utf8) do names[#names + 1] = k end
table.sort(names)
print(table.concat(names, ' '))
print('\u{0}' == '\0', '\u{7F}', #'\u{80}', #'\u{7FF}', #'\u{800}', #'\u{FFFF}', #'\u{10000}', #'\u{10FFFF}', #'\u{200000}', #'\u{4000000}')
print(('\u{4000000}'):byte(1, -1))
print(utf8.char(0x41, 0x3B1, 0x5D0, 0x0627, 0x4E2D))
