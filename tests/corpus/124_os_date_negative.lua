-- negative times (before 1970)
local times = {-1, -86400, -86401, -31536000, -946771200, -2208988800, -2208988801, -5000000000, -62135596800, -62135596801}
for _, t in ipairs(times) do
  print(t, os.date('!%Y-%m-%d %H:%M:%S %a %j %G-W%V-%u %C %y %g', t))
end
