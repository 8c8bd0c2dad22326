-- local time equals UTC because TZ=UTC (native) and the wasm clock is UTC
for _, t in ipairs{0, 1234567890, -1, 4102444800} do
  print(os.date('%Y-%m-%d %H:%M:%S %Z', t) == os.date('!%Y-%m-%d %H:%M:%S %Z', t), os.date('%Y-%m-%d %H:%M:%S', t))
end
local lt = os.date('*t', 1234567890)
print(lt.year, lt.month, lt.day, lt.hour, lt.min, lt.sec, lt.wday, lt.yday, lt.isdst)
print(os.time(lt))
print(os.date('%z', 0), os.date('!%z', 0))
