-- long strings and long comments
local a = [[
first line
second line]]
print(a, #a)
local b = [==[contains ]] and [[ and ]=]]==]
print(b)
local c = [[
]]
print(#c, [[]] == '', [[a\nb]])
--[[ a long
comment ]] print('after comment')
--[==[ another ]] ]=] ]==] print('after level 2 comment')
local d = [[line1
line2
line3]]
print(select(2, d:gsub('\n', '')))
print(load('return [[unfinished'))
print(load('return [==[x]=]'))
