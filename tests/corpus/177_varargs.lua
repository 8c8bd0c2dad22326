-- varargs and select
local function count(...) return select('#', ...) end
print(count(), count(nil), count(nil, nil), count(1, nil, 3, nil))
local function pass(...) return ... end
print(pass(1, 2, 3), (pass(1, 2, 3)))
print(select(2, 'a', 'b', 'c'), select(-1, 'a', 'b', 'c'), select(-3, 'a', 'b', 'c'))
print(select('#', select(4, 1, 2, 3)))
print(pcall(select, -4, 1, 2, 3))
local function tbl(...) return {...}, {n = select('#', ...), ...} end
local a, b = tbl(1, nil, 3)
print(#b, b.n, b[3])
local function last(...) local n = select('#', ...) if n == 0 then return nil end return (select(n, ...)) end
print(last(1, 2, 3), last())
local function va2(...) local x, y = ... return x, y end
print(va2(9), va2(9, 8, 7))
print(table.unpack({pass(1, 2)}, 1, 3))
print(math.max(pass(3, 9, 4)), string.format('%d-%d', pass(1, 2)))
