-- wrk script of the placement-http suite (bench/placement-http-wrk.ts runs it): the request
-- headers of the suite's query, and one machine-readable line of results at the end.
-- No response() function: wrk then frames answers without handing headers or bodies to Lua.
wrk.method = "GET"
wrk.headers["x-auth-token"] = "admin"
wrk.headers["openstack-api-version"] = "placement latest"
wrk.headers["accept"] = "application/json"

-- Before done() sees it, wrk "corrects" its latency histogram for coordinated omission: with
-- E = duration / (requests / connections), every sample n >= 2E adds synthetic samples at
-- n - E, n - 2E, ... while above E. That models an open-loop schedule this closed loop (each
-- client sends when its answer is in) does not have, and it inflates the tail whenever the
-- machine stalls. The per-request latencies are recovered by undoing it, highest bin first
-- (synthetic samples only ever land below the sample that made them, and are not expanded
-- again); their count must come out equal to the requests completed.
local function raw_latency(summary, latency, connections)
  local values, counts = {}, {}
  local i = 1
  while true do
    local v, c = latency(i)
    if v == nil or v == 0 then break end
    values[i] = v
    counts[i] = c
    i = i + 1
  end
  local per = math.floor(summary.requests / connections)
  local e = per > 0 and math.floor(summary.duration / per) or 0
  local synthetic = {}
  local orig = {}
  for k = #values, 1, -1 do
    local v = values[k]
    local o = counts[k] - (synthetic[v] or 0)
    orig[k] = o
    if e > 0 and v >= 2 * e and o > 0 then
      local m = v - e
      while m > e do
        synthetic[m] = (synthetic[m] or 0) + o
        m = m - e
      end
    end
  end
  local total, sum = 0, 0
  local min, max = 0, 0
  for k = 1, #values do
    local o = orig[k]
    if o > 0 then
      if min == 0 then min = values[k] end
      max = values[k]
      total = total + o
      sum = sum + o * values[k]
    end
  end
  -- Nearest rank, as the suite's own percentile().
  local function pct(p)
    local rank = math.max(1, math.ceil(total * p / 100))
    local seen = 0
    for k = 1, #values do
      seen = seen + orig[k]
      if seen >= rank then return values[k] end
    end
    return 0
  end
  return { count = total, mean = total > 0 and sum / total or 0, min = min, max = max, p50 = pct(50), p99 = pct(99), e = e }
end

function done(summary, latency, requests)
  local e = summary.errors
  local raw = raw_latency(summary, latency, tonumber(os.getenv("WRK_CONNECTIONS") or "1"))
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,' ..
    '"correctedMeanUs":%.3f,"correctedP50Us":%d,"correctedP99Us":%d,"correctionIntervalUs":%d,' ..
    '"samples":%d,"minUs":%d,"maxUs":%d,"meanUs":%.3f,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency:percentile(50), latency:percentile(99), raw.e,
    raw.count, raw.min, raw.max, raw.mean, raw.p50, raw.p99))
end
