-- wrk script of the read-path benchmark (tools/benchmarks/read_path.py):
--   wrk ... -s read_path.lua URL -- IDS_FILE TOKEN
-- Each request is GET /api/v1/items/<a random id of IDS_FILE> with "Authorization: Bearer TOKEN"
-- (no header when TOKEN is "-"). At the end one JSON line with the figures, latencies in µs.

local ids = {}
local count = 0
local threads = {}

function setup(thread)
  thread:set("seed", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      count = count + 1
      ids[count] = line
    end
  end
  if args[2] and args[2] ~= "-" then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  return wrk.format("GET", "/api/v1/items/" .. ids[math.random(count)])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\":%d,\"duration_us\":%d,\"connect_errors\":%d,\"read_errors\":%d,"
      .. "\"write_errors\":%d,\"non_2xx\":%d,\"timeouts\":%d,\"p50_us\":%d,\"p90_us\":%d,"
      .. "\"p99_us\":%d,\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean
  ))
end
