-- The serializer: persist.serialize + persist.deserialize of a 10,000-entry table (numbers,
-- strings, nested tables, a shared subtable and a closure). lua-persist only: other engines
-- have no `persist`.
local shared = {kind = "shared"}
local n = 0
local t = {count = function() n = n + 1 return n end}
for i = 1, 10000 do
  if i % 4 == 0 then t[i] = {i, "s" .. i, shared}
  elseif i % 4 == 1 then t[i] = i * 0.5
  elseif i % 4 == 2 then t[i] = "value " .. i
  else t["k" .. i] = i end
end
local size = 0
for _ = 1, 40 do
  local bytes = persist.serialize(t)
  local back = persist.deserialize(bytes)
  assert(back[4][3] == back[8][3])
  size = size + #bytes
end
print(size)
