-- goto and labels
local i = 1
::top::
if i <= 3 then io.write(i, ' ') i = i + 1 goto top end
io.write('\n')
for x = 1, 3 do
  for y = 1, 3 do
    if y == 2 then goto continue end
    io.write(x, ',', y, ' ')
    ::continue::
  end
end
io.write('\n')
do
  goto skip
  print('skipped')
  ::skip::
end
print(load('goto l; local x; ::l:: print(x)'))
print(load('do ::a:: end goto a'))
print(load('::dup:: ::dup::'))
print(load('goto l1; do ::l1:: end'))
local ok = load('do goto e end ::e:: return "jumped"')
print(ok())
