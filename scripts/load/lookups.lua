-- Clicks on the map by signed-in staff (personal data shown, every read audited).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
local c = require("common")
setup, init, response = c.setup, c.init, c.response

request = function()
  local lon, lat = c.point()
  return wrk.format("GET", string.format("/api/lookup?lon=%.6f&lat=%.6f", lon, lat),
    { Authorization = "Bearer " .. c.token })
end

done = function(summary, latency) c.done("lookups", summary, latency) end
