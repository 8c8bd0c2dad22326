-- debug.getinfo fields
local function named() return debug.getinfo(1, 'nSl') end
local info = named()
print(info.short_src, info.currentline, info.what, info.name, info.namewhat, info.linedefined, info.lastlinedefined, info.source:sub(1, 1))
local main = debug.getinfo(1, 'Sl')
print(main.what, main.currentline, main.linedefined, main.short_src)
local cinfo = debug.getinfo(print)
print(cinfo.what, cinfo.short_src, cinfo.source, cinfo.currentline, cinfo.linedefined, cinfo.nups, cinfo.nparams, cinfo.isvararg)
local function params(a, b, ...) local x = 1 return debug.getinfo(1, 'u') end
local u = params()
print(u.nups, u.nparams, u.isvararg)
local t = {}
function t.field() return debug.getinfo(1, 'n') end
local fi = t.field()
print(fi.name, fi.namewhat)
function t:meth() return debug.getinfo(1, 'n') end
local mi = t:meth()
print(mi.name, mi.namewhat)
print(debug.getinfo(100), pcall(debug.getinfo, 1, '>'))
local tinfo = (function() return debug.getinfo(1, 't') end)()
print(tinfo.istailcall)
local tc = (function() return (function() return debug.getinfo(1, 't') end)() end)()
print(tc.istailcall)
