-- Shared by the wrk scripts of scripts/load.sh: arguments, per-status counts, a report.
-- Arguments after `--`: min_lon min_lat max_lon max_lat token [grids file]

local M = {}
local threads = {}

function M.setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function M.init(args)
  M.w, M.s, M.e, M.n = tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  M.token = args[5]
  M.grids = {}
  if args[6] then
    for line in io.lines(args[6]) do
      if #line > 0 then table.insert(M.grids, line) end
    end
  end
  math.randomseed(os.time() + (id or 0) * 7919)
  statuses = {}
end

function M.response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function M.point()
  return M.w + math.random() * (M.e - M.w), M.s + math.random() * (M.n - M.s)
end

function M.done(name, summary, latency)
  local counts = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, status .. "=" .. n) end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format(
    "RESULT %-8s requests=%d rps=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f socket_errors=%d statuses=%s\n",
    name, summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end

return M
