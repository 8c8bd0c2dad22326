-- table constructors, numeric and string keys
local t = {1, 2, 3, [4] = 4, [5.0] = 5, ['6'] = 6, x = 7, [2^53] = 8}
print(#t, t[5], t['6'], t[6], t.x, t[2^53])
local u = {[1] = 'a', [1.0] = 'b'}
print(u[1])
local v = {'a', 'b', [2] = 'z'}
print(v[2])
local w = {n = 1, ['n'] = 2}
print(w.n)
local function f() return 1, 2, 3 end
local x = {f(), f()}
print(#x, table.concat(x, ','))
local y = {f(), (f())}
print(#y, table.concat(y, ','))
local z = {f(), nil}
print(#z)
local s = {['1'] = 'str', [1] = 'int'}
print(s['1'], s[1])
