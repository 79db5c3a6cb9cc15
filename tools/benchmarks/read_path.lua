-- wrk script of the benchmark suite (tools/benchmarks/read_path.py), one of three loads:
--   wrk ... -s read_path.lua URL -- items IDS_FILE TOKEN   GET /api/v1/items/<random id of IDS_FILE>
--                                                          with "Authorization: Bearer TOKEN"
--   wrk ... -s read_path.lua URL -- get PATH               GET PATH
--   wrk ... -s read_path.lua URL -- login EMAIL PASSWORD   POST /api/v1/auth/login (the form)
-- At the end one JSON line with the figures, latencies in µs.

local mode = "get"
local ids = {}
local count = 0
local path = "/"
local threads = {}

function setup(thread)
  thread:set("seed", #threads + 1)
  table.insert(threads, thread)
end

local function escape(text)
  return (text:gsub("[^%w%-._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  mode = args[1] or "get"
  if mode == "items" then
    for line in io.lines(args[2]) do
      if line ~= "" then
        count = count + 1
        ids[count] = line
      end
    end
    wrk.headers["Authorization"] = "Bearer " .. args[3]
  elseif mode == "login" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = "username=" .. escape(args[2]) .. "&password=" .. escape(args[3])
    path = "/api/v1/auth/login"
  else
    path = args[2] or "/"
  end
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  if mode == "items" then
    return wrk.format("GET", "/api/v1/items/" .. ids[math.random(count)])
  end
  return wrk.format(nil, path)
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
