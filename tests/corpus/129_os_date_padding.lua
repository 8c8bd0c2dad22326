-- padded and unpadded day, months and weekdays names
for m = 1, 12 do
  local t = os.time{year = 2021, month = m, day = m, hour = 6}
  print(os.date('!%b %B %h %d %e %m %a %A %w %u %D %F %x %c', t))
end
