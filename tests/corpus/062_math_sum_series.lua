-- numeric series evaluated in floating point
local s = 0
for i = 1, 1000 do s = s + 1 / i end
print(s, string.format('%.17g', s))
local p = 0
for k = 0, 100000 do p = p + (k % 2 == 0 and 1 or -1) / (2 * k + 1) end
print(4 * p, string.format('%.17g', 4 * p))
local e, f = 1, 1
for i = 1, 20 do f = f * i e = e + 1 / f end
local e_literal = 2.718281828459045 -- correctly rounded e; math.exp(1) is libm's (see 206)
print(e, e == e_literal, string.format('%.17g', e_literal - e))
local fact = 1
for i = 1, 25 do fact = fact * i end
print(fact)
local ffact = 1.0
for i = 1, 170 do ffact = ffact * i end
print(ffact, ffact * 171)
