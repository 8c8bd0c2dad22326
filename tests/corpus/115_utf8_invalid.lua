-- invalid and overlong sequences
local bad = {'\x80', '\xC0\x80', '\xC1\xBF', '\xE0\x80\x80', '\xF0\x80\x80\x80', '\xF8\x88\x80\x80\x80', '\xC3', '\xE2\x82',
  '\xFE', '\xFF', 'a\x80b', '\xED\xBF\xBF', '\xF4\x8F\xBF\xBF'}
for _, s in ipairs(bad) do
  print(string.format('%q', s), utf8.len(s), utf8.len(s, 1, -1, true), pcall(utf8.codepoint, s, 1, -1))
end
