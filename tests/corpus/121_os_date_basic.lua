-- os.date in UTC with fixed times
local times = {0, 1, 59, 3600, 86399, 86400, 951782400, 1000000000, 1234567890, 1700000000, 2147483647, 2147483648}
for _, t in ipairs(times) do
  print(t, os.date('!%Y-%m-%d %H:%M:%S', t), os.date('!%a %b %d %j %U %W %w %u', t))
end
