-- os.time normalises out-of-range fields and updates the table
local t = {year = 2023, month = 13, day = 1, hour = 0}
print(os.time(t), t.year, t.month, t.day, t.yday, t.wday)
t = {year = 2024, month = 3, day = 0, hour = 0}
print(os.time(t), t.year, t.month, t.day, t.yday, t.wday)
t = {year = 2024, month = 1, day = 1, hour = -1}
print(os.time(t), t.year, t.month, t.day, t.hour)
t = {year = 2024, month = 1, day = 1, hour = 0, min = 90, sec = 3600}
print(os.time(t), t.hour, t.min, t.sec)
t = {year = 2024, month = -1, day = 400, hour = 0}
print(os.time(t), t.year, t.month, t.day)
t = {year = 2021, month = 2, day = 29, hour = 12}
print(os.time(t), t.month, t.day, t.isdst)
t = {year = '2000', month = '6', day = '15', hour = '8'}
print(os.time(t), math.type(t.year), t.year)
