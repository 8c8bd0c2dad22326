-- prime sieve and some integer arithmetic
local N = 10000
local sieve = {}
for i = 2, N do sieve[i] = true end
for i = 2, math.floor(math.sqrt(N)) do
  if sieve[i] then for j = i * i, N, i do sieve[j] = false end end
end
local primes = {}
for i = 2, N do if sieve[i] then primes[#primes + 1] = i end end
print(#primes, primes[#primes], table.concat(primes, ' ', 1, 20))
local function gcd(a, b) while b ~= 0 do a, b = b, a % b end return a end
print(gcd(1071, 462), gcd(2^40 | 0, 6^15), gcd(math.maxinteger, 7))
local function powmod(b, e, m) local r = 1 b = b % m while e > 0 do if e & 1 == 1 then r = r * b % m end b = b * b % m e = e >> 1 end return r end
print(powmod(2, 100, 1000000007), powmod(3, 12345, 65537))
