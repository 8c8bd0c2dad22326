-- difftime, clock and other deterministic os functions
print(os.difftime(10, 5), os.difftime(5, 10), os.difftime(0, 0), math.type(os.difftime(1, 0)))
print(os.difftime(2^53, 0), os.difftime(-1, 1))
print(pcall(os.difftime))
print(pcall(os.difftime, 10))
print(pcall(os.difftime, 'a', 1))
print(type(os.clock()), math.type(os.clock()), os.clock() >= 0)
print(type(os.time()), os.time() > 1600000000)
local names = {}
for k in pairs(os) do names[#names + 1] = k end
table.sort(names)
print(table.concat(names, ' '))
print(type(os.getenv), type(os.tmpname))
