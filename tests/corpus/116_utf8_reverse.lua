-- a utf8-aware reverse and upper-casing of ASCII only
local function ureverse(s)
  local t = {}
  for _, c in utf8.codes(s) do table.insert(t, 1, utf8.char(c)) end
  return table.concat(t)
end
print(ureverse('héllo wörld €'))
print(('héllo'):upper(), ('HÉLLO'):lower())
local widths = {}
for p, c in utf8.codes('aß中😀') do widths[#widths + 1] = #utf8.char(c) end
print(table.concat(widths, ' '))
print(utf8.char(table.unpack({utf8.codepoint('aß中😀', 1, -1)})))
