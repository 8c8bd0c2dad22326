-- examples/hello.lua: run with `scripts/run` (native) or `node wasm/run.mjs examples/hello.lua`.
local who = arg[1] or "world"
print(("Hello, %s, from %s!"):format(who, _VERSION))
local squares = {}
for i = 1, 5 do squares[#squares + 1] = i * i end
print("squares: " .. table.concat(squares, " "))
print(("pi is about %.5f, 2^0.5 is %g"):format(math.pi, 2 ^ 0.5))
