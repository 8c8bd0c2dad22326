-- Structural equality that also checks sharing: tables of `a` map one-to-one onto
-- tables of `b`, so shared references, cycles and metatables must match too.
function deep_equal(a, b, map, rev)
  map, rev = map or {}, rev or {}
  if rawequal(a, b) then return true end
  if type(a) ~= type(b) then return false, 'type ' .. type(a) .. ' vs ' .. type(b) end
  if type(a) == 'number' then
    if math.type(a) ~= math.type(b) then return false, 'subtype ' .. math.type(a) .. ' vs ' .. math.type(b) end
    if a ~= a and b ~= b then return true end
    if a ~= b then return false, tostring(a) .. ' vs ' .. tostring(b) end
    if a == 0 and 1 / a ~= 1 / b then return false, 'sign of zero' end
    return true
  end
  if type(a) == 'thread' then
    if map[a] ~= nil or rev[b] ~= nil then return map[a] == b and rev[b] == a, 'sharing differs' end
    map[a], rev[b] = b, a
    local sa, sb = coroutine.status(a), coroutine.status(b)
    return sa == sb, 'coroutine ' .. sa .. ' vs ' .. sb
  end
  if type(a) ~= 'table' then return false, tostring(a) .. ' vs ' .. tostring(b) end
  if map[a] ~= nil or rev[b] ~= nil then
    return map[a] == b and rev[b] == a, 'sharing differs'
  end
  map[a], rev[b] = b, a
  local n = 0
  for k, va in next, a do
    n = n + 1
    local kb = k
    if type(k) == 'table' then kb = map[k] if kb == nil then return false, 'table key not met before' end end
    local ok, why = deep_equal(va, rawget(b, kb), map, rev)
    if not ok then return false, '[' .. tostring(k) .. '] ' .. why end
  end
  for _ in next, b do n = n - 1 end
  if n ~= 0 then return false, 'entry count' end
  local ok, why = deep_equal(debug.getmetatable(a), debug.getmetatable(b), map, rev)
  if not ok then return false, '<metatable> ' .. why end
  return true
end
