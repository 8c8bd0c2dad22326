-- string.format, concatenation and gsub.
local parts, total = {}, 0
for i = 1, 150000 do
  local s = string.format("%d:%5.2f:%s:%x", i, i / 7, "item", i)
  s = s .. "|" .. tostring(i * 0.5)
  parts[#parts + 1] = s:gsub("%d", "#")
  total = total + #s
  if #parts > 100 then parts = {} end
end
local text = string.rep("the quick brown fox jumps over the lazy dog ", 2000)
for _ = 1, 30 do
  local count = select(2, text:gsub("(%w+)", "<%1>"))
  total = total + count
end
print(total)
