-- and/or/not with all kinds of values
print(nil and 1, false and 1, 0 and 1, '' and 1, 1 and nil)
print(nil or 'd', false or nil, 0 or 1, nil or false)
print(not nil, not false, not 0, not '', not not nil)
print(1 == 1.0 and 'eq' or 'ne', 'a' == 'a', {} == {}, nil == false)
local x = nil
print(x and x.y or 'safe', (x or {}).y)
print(1 < 2 == true, 'abc' < 'abd' and 1 or 2)
