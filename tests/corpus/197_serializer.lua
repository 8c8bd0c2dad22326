-- a serializer with sorted keys and %q / %.17g numbers
local function ser(v, indent)
  indent = indent or ''
  local t = type(v)
  if t == 'string' then return string.format('%q', v)
  elseif t == 'number' then return math.type(v) == 'integer' and tostring(v) or string.format('%.17g', v)
  elseif t ~= 'table' then return tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) if type(a) == type(b) then return a < b end return type(a) < type(b) end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = indent .. '  [' .. ser(k) .. '] = ' .. ser(v[k], indent .. '  ') end
  return '{\n' .. table.concat(out, ',\n') .. '\n' .. indent .. '}'
end
print(ser({name = 'x\ny', list = {1, 2.5, 1/3, -0.0}, nested = {deep = {true, false}}, [10] = 1e300, [1.5] = 'half'}))
