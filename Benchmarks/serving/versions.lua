-- wrk script for the swap benchmark: POSTs one prepared body (as post.lua)
-- and counts the answers by HTTP status and by the "model_version" in the
-- V2 response, so a run shows which versions served and that none failed.
--   BODY_FILE   the request body
-- At the end it prints:
--   RESULT requests=N rps=R p50_us=A p99_us=B non2xx=C socket_errors=D
--   VERSIONS v1=N v2=M ...      STATUSES 200=N ...
local f = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE not set"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  versions = {}
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local v = body and body:match('"model_version"%s*:%s*"(%d+)"')
  if v then versions[v] = (versions[v] or 0) + 1 end
end

local function merge(into, name)
  for _, t in ipairs(threads) do
    for k, n in pairs(t:get(name)) do into[k] = (into[k] or 0) + n end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
  local v, s = {}, {}
  merge(v, "versions")
  merge(s, "statuses")
  local line = "VERSIONS"
  for k, n in pairs(v) do line = line .. string.format(" v%s=%d", k, n) end
  line = line .. "    STATUSES"
  for k, n in pairs(s) do line = line .. string.format(" %s=%d", k, n) end
  io.write(line .. "\n")
end
