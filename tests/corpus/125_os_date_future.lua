-- far-future times
local times = {4102444800, 4102444799, 32503680000, 253402300799, 253402300800, 1e11, 2^40, 2^45}
for _, t in ipairs(times) do
  print(t, os.date('!%Y-%m-%d %H:%M:%S %a %b %j %U %W %V %G %C', t))
end
