-- Searches for grid codes, as staff type them.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
local c = require("common")
setup, init, response = c.setup, c.init, c.response

request = function()
  local grid = c.grids[math.random(#c.grids)]
  return wrk.format("GET", "/api/search?q=" .. grid:sub(1, 14 + math.random(0, 4)))
end

done = function(summary, latency) c.done("search", summary, latency) end
