-- uncaught error with a table value without __tostring
print('start')
error({code = 1})
