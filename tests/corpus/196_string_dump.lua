-- string.dump output is the same on every target with the same sizes
local function f(a, b) local s = 'const' .. a return s, b * 2.5, 42, 2^53 end
local d = string.dump(f, true)
print(#d)
print((d:gsub('.', function(c) return string.format('%02x', c:byte()) end)))
local g = load(d, 'dumped', 'b')
print(g('x', 2))
local full = string.dump(f)
print(#full, load(full)('y', 4))
print(pcall(string.dump, print))
print(load(d:sub(1, 10), 'trunc', 'b'))
