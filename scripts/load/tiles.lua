-- Random z14–16 tiles of the county's grids and buildings (what a map pans through).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
local c = require("common")
setup, init, response = c.setup, c.init, c.response

request = function()
  local lon, lat = c.point()
  local z = math.random(14, 16)
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return wrk.format("GET", string.format("/tiles/grids,buildings/%d/%d/%d.mvt", z, x, y))
end

done = function(summary, latency) c.done("tiles", summary, latency) end
