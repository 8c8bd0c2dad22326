-- \u{...}, \z, \x, decimal escapes
local s = '\u{41}\u{3B1}\u{20AC}\u{1F600}\u{10FFFF}'
print(s, #s)
print(('\u{3B1}'):byte(1, -1))
print('\x48\x65\x6c\x6c\x6f', '\72\101\108\108\111', '\072\0101')
print('a\z
    b\z  c', 'x\z
')
print(#'\z   ', '\u{0000041}')
print(string.format('%q', '\u{80}\u{7FF}'))
local bytes = {('\u{7FFFFFFF}'):byte(1, -1)}
print(#bytes, table.concat(bytes, ' '))
