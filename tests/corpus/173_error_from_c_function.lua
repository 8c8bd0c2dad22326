-- uncaught error raised by a C function with bad argument
print(string.rep('ab', 2))
local function helper(s) return string.rep(s, {}) end
helper('x')
