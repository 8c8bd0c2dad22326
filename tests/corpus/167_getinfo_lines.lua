-- debug.getinfo current lines and activelines
local function where() local i = debug.getinfo(2, 'l') return i.currentline end
print(where())
print(
  where()
)
local function f()
  local a = 1
  local b = 2
  return a + b
end
local lines = {}
for l in pairs(debug.getinfo(f, 'L').activelines) do lines[#lines + 1] = l end
table.sort(lines)
print(table.concat(lines, ' '))
local i = debug.getinfo(f, 'S')
print(i.linedefined, i.lastlinedefined, i.what, i.short_src)
print(debug.getinfo(1, 'f').func ~= nil)
