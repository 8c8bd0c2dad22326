-- uncaught runtime error in nested functions: message and traceback on stderr
print('before')
local function level3(x) return x.field.sub end
local function level2(x) return level3(x) + 1 end
function level1(x) local r = level2(x) return r end
level1({})
print('not reached')
