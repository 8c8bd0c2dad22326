-- errors while converting values for print
print(pcall(print, setmetatable({}, {__tostring = function() error('tostring failed') end})))
print(pcall(print, setmetatable({}, {__tostring = function() return nil end})))
print(pcall(tostring, setmetatable({}, {__tostring = function() return 5 end})))
print(pcall(string.format, '%s', setmetatable({}, {__tostring = function() error('in format') end})))
print(pcall(table.concat, {setmetatable({}, {__tostring = function() return 'x' end})}))
print('end')
