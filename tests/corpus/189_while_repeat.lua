-- while and repeat loops, scoping in repeat-until
local i, out = 0, {}
while i < 5 do i = i + 1 if i == 2 then goto cont end out[#out + 1] = i ::cont:: end
print(table.concat(out, ' '))
local n = 0
repeat local k = n * 2 n = n + 1 until k >= 6
print(n)
local fib = {1, 1}
while #fib < 20 do fib[#fib + 1] = fib[#fib] + fib[#fib - 1] end
print(table.concat(fib, ' '))
local collatz, steps = 27, 0
while collatz ~= 1 do collatz = collatz % 2 == 0 and collatz // 2 or 3 * collatz + 1 steps = steps + 1 end
print(steps)
