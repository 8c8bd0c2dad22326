-- per-function checksums over seeded pseudo-random inputs (a differing line names the function)
-- Transcendental functions come from each platform's libm (glibc natively, Rust's
-- compiler-builtins on wasm) and may differ in the last bit (README: "What differs"),
-- so they are compared at 10 significant digits; correctly rounded ones exactly (%a).
local function hash(s, h) for i = 1, #s do h = (h * 33 + s:byte(i)) % 4294967291 end return h end
local fns = {
  {'exp', math.exp, -700, 700}, {'log', math.log, 1e-300, 1e300}, {'log2', function(x) return math.log(x, 2) end, 1e-10, 1e10},
  {'log10', function(x) return math.log(x, 10) end, 1e-10, 1e10}, {'sqrt', math.sqrt, 0, 1e300},
  {'sin', math.sin, -100, 100}, {'cos', math.cos, -100, 100}, {'tan', math.tan, -10, 10},
  {'asin', math.asin, -1, 1}, {'acos', math.acos, -1, 1}, {'atan', math.atan, -1e3, 1e3},
  {'atan2', function(x) return math.atan(x, 1.5) end, -10, 10}, {'pow', function(x) return x ^ 2.7 end, 0, 1e3},
  {'powneg', function(x) return 10.0 ^ x end, -300, 300}, {'fmod', function(x) return math.fmod(x, 7.3) end, -1e6, 1e6},
  {'floor', math.floor, -1e6, 1e6}, {'modf', function(x) return (select(2, math.modf(x))) end, -1e6, 1e6},
}
local exact = {sqrt = true, fmod = true, floor = true, modf = true}
for _, f in ipairs(fns) do
  math.randomseed(2024)
  local h, lo, hi = 5381, f[3], f[4]
  for i = 1, 2000 do
    local x = lo + (hi - lo) * math.random()
    h = hash(string.format(exact[f[1]] and '%a' or '%.10g', f[2](x)), h)
  end
  print(f[1], h)
end
