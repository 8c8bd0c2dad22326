-- gsub callbacks that call gsub
local function expand(s, depth)
  if depth == 0 then return s end
  return (s:gsub('%w', function(c) return expand(c .. c, depth - 1):sub(1, 3) end))
end
print(expand('ab', 1), expand('ab', 3))
local nested = ('{a{b{c}}}'):gsub('%b{}', function(inner)
  return '<' .. inner:sub(2, -2):gsub('%b{}', function(i2) return '(' .. i2:sub(2, -2) .. ')' end) .. '>'
end)
print(nested)
print(('1+2+3'):gsub('%d', function(d) return ('x'):rep(tonumber(d)) end))
