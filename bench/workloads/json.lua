-- A JSON-like encoder and decoder written in Lua: string building, string.byte/sub,
-- tables built and walked.
local function encode(v, out)
  local t = type(v)
  if t == "table" then
    if #v > 0 then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local first = true
      for k, x in pairs(v) do
        if not first then out[#out + 1] = "," end
        first = false
        out[#out + 1] = string.format("%q:", k)
        encode(x, out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  else
    out[#out + 1] = tostring(v)
  end
end

local function decode(s)
  local pos = 1
  local value
  local function skip() pos = s:find("[^ \n\r\t]", pos) or #s + 1 end
  function value()
    skip()
    local c = s:sub(pos, pos)
    if c == "{" then
      pos = pos + 1
      local t = {}
      skip()
      if s:sub(pos, pos) == "}" then pos = pos + 1 return t end
      repeat
        skip()
        local k = value()
        skip() pos = pos + 1 -- ':'
        t[k] = value()
        skip()
        c = s:sub(pos, pos) pos = pos + 1
      until c == "}"
      return t
    elseif c == "[" then
      pos = pos + 1
      local t = {}
      skip()
      if s:sub(pos, pos) == "]" then pos = pos + 1 return t end
      repeat
        t[#t + 1] = value()
        skip()
        c = s:sub(pos, pos) pos = pos + 1
      until c == "]"
      return t
    elseif c == '"' then
      local close = s:find('"', pos + 1, true)
      local text = s:sub(pos + 1, close - 1)
      pos = close + 1
      return (text:gsub("\\u(%x%x%x%x)", function(h) return string.char(tonumber(h, 16)) end))
    else
      local num = s:match("^-?[%d.eE+-]+", pos)
      if num then pos = pos + #num return tonumber(num) end
      for word, v in pairs({["true"] = true, ["false"] = false}) do
        if s:sub(pos, pos + #word - 1) == word then pos = pos + #word return v end
      end
      error("bad json at " .. pos)
    end
  end
  return value()
end

local doc = {}
for i = 1, 200 do
  doc[i] = {id = i, name = "item " .. i, price = i * 1.25, tags = {"a", "b", "c" .. i}, ok = i % 2 == 0}
end
local total = 0
for _ = 1, 60 do
  local out = {}
  encode(doc, out)
  local text = table.concat(out)
  local back = decode(text)
  total = total + #text + #back + back[7].id
end
print(total)
