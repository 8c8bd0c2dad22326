-- uncaught arithmetic error in the main chunk with a local name
local count = 'ten'
print('computing')
local total = count * 2
print(total)
