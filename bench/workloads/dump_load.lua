-- string.dump + load of a ~10 KB function.
local lines = {"local a, b, c = ... local t = {}"}
for i = 1, 75 do lines[#lines + 1] = ("t[%d] = (a or 0) * %d + (b or 1) - %d .. ''"):format(i, i, i) end
lines[#lines + 1] = "return t"
local f = assert(load(table.concat(lines, "\n")))
local size = 0
for _ = 1, 20000 do
  local bytes = string.dump(f)
  size = size + #bytes
  local g = assert(load(bytes, "=dumped", "b"))
  assert(#g(1, 2, 3) == 75)
end
print(#string.dump(f), size)
