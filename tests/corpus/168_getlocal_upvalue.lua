-- debug.getlocal, getupvalue, sethook-free introspection
local function f(a, b, ...)
  local c = a + b
  local out = {}
  local i = 1
  while true do
    local name, value = debug.getlocal(1, i)
    if not name then break end
    out[#out + 1] = name .. '=' .. (type(value) == 'table' and 'table' or tostring(value))
    i = i + 1
  end
  print(table.concat(out, ' '))
  print(debug.getlocal(1, -1), debug.getlocal(1, -2), debug.getlocal(1, -3))
end
f(1, 2, 'va1', 'va2')
local x, y = 10, 20
local function g() return x + y end
print(debug.getupvalue(g, 1), debug.getupvalue(g, 2), debug.getupvalue(g, 3))
debug.setupvalue(g, 1, 100)
print(g(), x)
print(debug.getlocal(f, 1), debug.getlocal(f, 2), debug.getlocal(f, 3))
print(debug.getupvalue(string.gmatch('a', 'a'), 1))
