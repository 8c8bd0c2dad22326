-- ISO week numbers around new year
for year = 2018, 2027 do
  for _, md in ipairs{{12, 28}, {12, 31}, {1, 1}, {1, 4}} do
    local y = md[1] == 12 and year - 1 or year
    local t = os.time{year = y, month = md[1], day = md[2], hour = 12}
    io.write(os.date('!%Y-%m-%d:%G-%V-%u:%U:%W:%j ', t))
  end
  io.write('\n')
end
