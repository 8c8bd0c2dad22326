-- Lua stack overflow caught by pcall
local function f() return 1 + f() end
local ok, e = pcall(f)
print(ok, e)
local depth = 0
local function g() depth = depth + 1 g() end
ok, e = pcall(g)
print(ok, e, depth > 1000)
print(pcall(table.unpack, {}, 1, 1e6))
print(pcall(string.rep, 'x', -1))
print(select(2, xpcall(f, function(m) return 'handler: ' .. m end)))
local co = coroutine.create(f)
print(coroutine.resume(co))
print('continues')
