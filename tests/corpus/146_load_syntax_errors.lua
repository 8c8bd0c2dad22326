-- syntax errors reported by load
local chunks = {'x = ', 'x = = 1', 'for i = 1 do end', 'local function() end', 'if x then', 'return return',
  'x = 1 +', 'local x <const> = 1; x = 2', 'goto nowhere', '::a:: ::a::', 'break', 'x = "unfinished', 'x = [[', 'f(', ')',
  'local t = {1, 2', 'return 1e', 'return 0x', 'return 3..4', 'x = 1 2', 'local a <foo> = 1', '--[[ unterminated', 'return "\\400"',
  'return ...', 'function f() return ... end', 'x = }', 'a.b:c = 1', 'local 1 = 2', 'return 08', 'return 1.2.3'}
for _, c in ipairs(chunks) do
  local f, e = load(c, '=chunk')
  print(f and 'compiled' or e)
end
print(load('x = ', 'named chunk'))
print(load('x = ', '@file.lua'))
print(load('\n\n\nx = = 1'))
