-- Planners locking and unlocking grids. Each PATCH sends the version the thread last saw
-- (from the grid's ETag), so concurrent edits of one grid answer 409, as they must.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
local c = require("common")
setup, init = c.setup, c.init
local versions = {}

request = function()
  local grid = c.grids[math.random(#c.grids)]
  local body = string.format('{"locked": %s, "version": %d}',
    math.random() < 0.5 and "true" or "false", versions[grid] or 1)
  return wrk.format("PATCH", "/api/grids/" .. grid,
    { Authorization = "Bearer " .. c.token, ["Content-Type"] = "application/json" }, body)
end

-- Answers may come back in another order than the requests went out (one thread, many
-- connections): the grid and its version are read from the answer itself.
response = function(status, headers, body)
  c.response(status)
  local grid, version
  if status == 200 then
    grid = body:match('"code":"([%d%-]+)"')
    version = (headers["ETag"] or headers["etag"] or ""):match("%d+")
  elseif status == 409 then
    grid, version = body:match("grid ([%d%-]+) .-now version (%d+)")
  end
  if grid and version then versions[grid] = tonumber(version) end
end

done = function(summary, latency) c.done("edits", summary, latency) end
