-- uncaught error(nil) and error with numbers
print(pcall(error))
print(pcall(error, nil))
print(pcall(error, 42))
print(pcall(error, 4.5, 2))
error()
