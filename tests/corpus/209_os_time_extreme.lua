-- os.time and os.date with extreme years
local function show(t) local ok, r = pcall(os.time, t) print(ok, r, ok and os.date('!%Y-%m-%d %H:%M:%S', r) or '') end
show{year = 1, month = 1, day = 1, hour = 0}
show{year = 0, month = 1, day = 1, hour = 0}
show{year = -1000, month = 6, day = 15, hour = 12}
show{year = 1582, month = 10, day = 10, hour = 0}
show{year = 10000, month = 1, day = 1, hour = 0}
show{year = 100000, month = 1, day = 1, hour = 0}
show{year = 2147483647, month = 12, day = 31, hour = 23}
show{year = 2147485547, month = 1, day = 1, hour = 0}
show{year = -2147481748, month = 1, day = 1, hour = 0}
show{year = 2000, month = 1, day = 1, hour = 0, min = 2^31 - 1}
show{year = 2000, month = 1, day = 1, hour = 0, sec = -2^31}
show{year = 2000, month = 2^31 - 1, day = 1, hour = 0}
for _, t in ipairs{-62167219200, -62167219201, -30610224000, 67767976233532799, 67767976233532800, -67768040609740800} do
  print(t, pcall(os.date, '!%Y-%m-%d %H:%M:%S %a %j', t))
end
local d = os.date('!*t', -62167219200)
print(d.year, d.month, d.day, d.wday, d.yday)
