-- args: 1 2 3 4.5 1e2 0x10 -7
-- summing command line arguments
local sum, isum = 0, 0
for i = 1, select('#', ...) do
  local v = select(i, ...)
  sum = sum + v
  local n = math.tointeger(tonumber(v))
  if n then isum = isum + n end
end
print(sum, isum, math.type(sum))
local t = table.pack(...)
print(t.n, table.concat(t, '+'))
