-- wrk script for the serving benchmark: POSTs one prepared body.
--   BODY_FILE      the request body (read once, binary-safe)
--   CONTENT_TYPE   default application/json
--   HEADER_LENGTH  if set, sent as Inference-Header-Content-Length (V2 binary tensors)
--   API_KEY        if set, sent as Authorization: Bearer <key>
-- At the end it prints one machine-readable line:
--   RESULT requests=N rps=R p50_us=A p99_us=B non2xx=C socket_errors=D
local f = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE not set"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"
local headerLength = os.getenv("HEADER_LENGTH")
if headerLength and headerLength ~= "" then
  wrk.headers["Inference-Header-Content-Length"] = headerLength
end
local key = os.getenv("API_KEY")
if key and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
