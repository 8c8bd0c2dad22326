-- Builds a value graph with closures and prints persist.serialize of it as hex.
-- tests/portable/check.lua restores it (on the other target) and checks it.
local function counter()
  local count = 10
  return {inc = function(n) count = count + (n or 1) return count end, get = function() return count end}
end
local c = counter()
c.inc(5) -- 15
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local shared = {"shared"}
local graph = {
  counter = c,
  fib = fib,
  shared_a = shared, shared_b = shared,
  numbers = {1, 2.0, -0.0, 0.1, math.maxinteger, math.mininteger, 1/0, 2^53},
  text = "bytes\0with\255nul",
  fmt = string.format,
  uses_global = function() return marker end,
  env = load("return x * 2", "=custom", "t", {x = 21}),
}
graph.self = graph
setmetatable(graph.numbers, {__index = function(_, k) return "missing " .. k end})
local bytes = persist.serialize(graph)
print((bytes:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)))
