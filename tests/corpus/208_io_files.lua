-- io on the script file itself (readable on both targets) and on missing files
local f = assert(io.open(arg[0], 'rb'))
print(io.type(f), f:read('l'))
print(f:read('n'), f:read(5), f:seek('cur') > 0)
f:seek('set', 0)
local all = f:read('a')
print(#all > 100, select(2, all:gsub('\n', '')), f:read('a') == '', f:read('l'), f:read(0))
print(f:close(), io.type(f), pcall(f.read, f))
local n = 0
for line in io.lines(arg[0]) do n = n + 1 end
print('lines', n)
for a, b in io.lines(arg[0], 3, 'n') do print(a, b) break end
print(io.open('no/such/file.txt'))
print(io.open('missing.txt', 'r'))
print(pcall(io.lines, 'missing.txt'))
print(loadfile('missing.lua'))
print(pcall(dofile, 'missing.lua'))
print(pcall(io.open, arg[0], 'rz'))
print(os.remove('no/such/file.txt'))
print(os.rename('no/such/a', 'no/such/b'))
print(io.read('l'), io.read('n'), io.read('a'), io.read(0))
