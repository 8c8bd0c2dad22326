-- results of the math functions on fixed inputs
-- Transcendental functions come from each platform's libm (glibc natively, Rust's
-- compiler-builtins on wasm) and may differ in the last bit (README: "What differs"),
-- so they are compared at 12 significant digits; correctly rounded ones exactly (%a).
local xs = {0.5, 1, 2, 3, 10, 0.1, 1e-3, 100.5, 1e10, 1/3, 0.7, 123.456}
local fns = {
  {'exp', math.exp}, {'log', math.log}, {'log2', function(x) return math.log(x, 2) end},
  {'log10', function(x) return math.log(x, 10) end}, {'log7', function(x) return math.log(x, 7) end},
  {'sqrt', math.sqrt}, {'fmod', function(x) return math.fmod(x, 0.3) end}, {'sin', math.sin}, {'cos', math.cos}, {'tan', math.tan},
  {'asin', function(x) return math.asin(x / 1e11) end}, {'acos', function(x) return math.acos(x / 1e11) end},
  {'atan', math.atan}, {'atan2', function(x) return math.atan(x, 3) end},
  {'pow1.5', function(x) return x ^ 1.5 end}, {'pow-2.5', function(x) return x ^ -2.5 end},
  {'10^-x', function(x) return 10.0 ^ -x end},
}
for _, f in ipairs(fns) do
  local out = {}
  local fmt = (f[1] == 'sqrt' or f[1] == 'fmod') and '%a' or '%.12g'
  for _, x in ipairs(xs) do out[#out + 1] = string.format(fmt, f[2](x)) end
  print(f[1], table.concat(out, ' '))
end
