-- Persist + restore of a coroutine suspended 10 frames deep with 50 stack values, against
-- the same values and functions without the coroutine (a table holding the 10 closures and
-- the 50 values) round-tripped in the same run. Run by `node bench/coroutine.mjs` in both
-- runners; prints one line: `coroutine <per second> reference <per second>`.
local ROUNDS = tonumber(arg and arg[1]) or 2000

local values = {}
local function frame(depth, a, b, c)
  -- Five stack values per frame: three arguments, two locals.
  local d, e = ("frame %d"):format(depth), {depth, depth * 2}
  values[#values + 1] = {a, b, c, d, e}
  if depth == 10 then
    return coroutine.yield()
  end
  local r = frame(depth + 1, a + 1, b .. "x", c * 0.5)
  return r, d, e
end

local co = coroutine.create(function() return frame(1, 1, "s", 1.5) end)
assert(coroutine.resume(co))
assert(coroutine.status(co) == "suspended")

-- The reference: the same 50 values and ten closures (one per frame, like the frames'
-- functions), in a table.
local reference = {}
for depth = 1, 10 do
  local v = values[depth]
  reference[depth] = {function() return v end, v[1], v[2], v[3], v[4], v[5]}
end

local function rate(value)
  local check = persist.deserialize(persist.serialize(value))
  local start = os.clock()
  for _ = 1, ROUNDS do
    check = persist.deserialize(persist.serialize(value))
  end
  local seconds = os.clock() - start
  return ROUNDS / seconds, check
end

local best_co, best_ref = 0, 0
for _ = 1, 3 do
  local co_rate, restored = rate(co)
  local ref_rate = rate(reference)
  best_co, best_ref = math.max(best_co, co_rate), math.max(best_ref, ref_rate)
  -- The restored coroutine goes on where it stopped.
  local ok, r, d = coroutine.resume(restored, "done")
  assert(ok and r == "done" and d == "frame 1", tostring(r))
end
print(("coroutine %.0f reference %.0f"):format(best_co, best_ref))
