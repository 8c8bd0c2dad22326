-- Run me more than once: `_home` keeps what it holds between runs, in the store file
-- (./.lua-persist.db unless --store or $LUA_PERSIST_STORE says otherwise).

_home.runs = (_home.runs or 0) + 1
print(("run number %d"):format(_home.runs))

-- Functions persist with their upvalues. This closure remembers everyone it greeted.
if _home.greet == nil then
  local guests = {}
  _home.greet = function(name)
    guests[#guests + 1] = name
    return ("hello, %s! guests so far: %s"):format(name, table.concat(guests, ", "))
  end
end

-- Reading a key gives a fresh copy of the stored value; storing it again keeps its state.
local greet = _home.greet
print(greet("visitor " .. _home.runs))
_home.greet = greet
