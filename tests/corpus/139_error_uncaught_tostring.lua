-- uncaught error with a table value with __tostring
print('start')
error(setmetatable({}, {__tostring = function() return 'MyError: bad thing' end}))
