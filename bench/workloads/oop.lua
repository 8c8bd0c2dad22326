-- Objects: classes with metatables, inheritance through __index chains, method calls.
local Point = {}
Point.__index = Point
function Point.new(x, y) return setmetatable({x = x, y = y}, Point) end
function Point:add(o) return Point.new(self.x + o.x, self.y + o.y) end
function Point:dot(o) return self.x * o.x + self.y * o.y end

local Particle = setmetatable({}, {__index = Point})
Particle.__index = Particle
function Particle.new(x, y, vx, vy)
  local p = Point.new(x, y)
  p.v = Point.new(vx, vy)
  return setmetatable(p, Particle)
end
function Particle:step() self.x, self.y = self.x + self.v.x, self.y + self.v.y return self end
function Particle:energy() return self.v:dot(self.v) end

local particles = {}
for i = 1, 1000 do particles[i] = Particle.new(i, -i, i % 7, i % 5) end
local total = 0
for _ = 1, 300 do
  for i = 1, #particles do
    local p = particles[i]:step()
    total = total + p:energy() + p:dot(Point.new(1, 1))
  end
end
print(total)
