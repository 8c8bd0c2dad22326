-- a small table of money-like values
local rows = {{'apple', 1.25, 3}, {'banana', 0.5, 12}, {'cherry', 10.125, 1}, {'date', 7.005, 7}}
print(string.format('%-10s %8s %4s %10s', 'item', 'price', 'qty', 'total'))
local sum = 0
for _, r in ipairs(rows) do
  local total = r[2] * r[3]
  sum = sum + total
  print(string.format('%-10s %8.2f %4d %10.3f', r[1], r[2], r[3], total))
end
print(string.format('%-10s %24.4f', 'sum', sum))
print(string.format('%e', sum), string.format('%g', sum))
