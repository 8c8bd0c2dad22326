-- %f frontier and %b balance
local s = 'THE (quick) fox, the [lazy] dog; THEN'
print(s:gsub('%f[%w]%w+', '<%0>'))
print(s:gsub('%f[%a]THE%f[%A]', 'X'))
print(s:gsub('%f[%l]%l+%f[%L]', 'l'))
print(('hello'):find('%f[%l]'), ('hello'):find('%f[%L]'), (''):find('%f[%z]'), ('a'):find('%f[%z]'))
print(s:gsub('%b()', ''), s:gsub('%b[]', '[]'))
print(('f(a(b)c)(d)'):gsub('%b()', 'P'))
print(('((('):find('%b()'), ('())'):find('%b()'), ('x{y{z}}'):match('%b{}'))
print(pcall(string.find, 'x', '%b'))
print(pcall(string.find, 'x', '%f'))
print(pcall(string.find, 'x', '%fx'))
print(('aXb'):gsub('%f[%u]', '|'), ('THE end'):gsub('%f[%w]', '^'))
