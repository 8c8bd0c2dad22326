-- a few realistic pattern tasks
local csv = 'name,age,city\nAlice,30,Paris\nBob,25,"New York"\n'
for line in csv:gmatch('[^\n]+') do
  local fields = {}
  for f in (line .. ','):gmatch('([^,]*),') do fields[#fields + 1] = f end
  print(#fields, table.concat(fields, '|'))
end
local url = 'https://example.com:8080/path/to/page?x=1&y=two#frag'
print(url:match('^(%w+)://([^/:]+):?(%d*)(/[^?#]*)%??([^#]*)#?(.*)$'))
for k, v in url:gmatch('[?&](%w+)=(%w+)') do print(k, v) end
local text = 'The  quick   brown fox'
print((text:gsub('%s+', ' ')), select(2, text:gsub('%S+', '')))
print(('camelCaseString'):gsub('(%u)', function(c) return '_' .. c:lower() end))
print(('snake_case_here'):gsub('_(%a)', string.upper))
print(('%d items'):format(3), ('x'):rep(3, ('-'):rep(2)))
