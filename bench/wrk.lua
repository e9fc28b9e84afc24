-- wrk script of `make bench` (bench/run.py): one request of a benchmark, picked at random per request.
--
--   wrk -t2 -c32 -d15s -s bench/wrk.lua http://127.0.0.1:PORT -- DATA_FILE SEED EXPECTED_STATUS [CONNECTION]
--
-- DATA_FILE (written by bench/run.py) holds either
--   * one request per line: "PATH" or "PATH<TAB>ETAG" (the ETag is sent as If-None-Match); or
--   * one line "RANGE<TAB>TEMPLATE<TAB>LOW<TAB>HIGH": PATH is TEMPLATE with "{}" replaced by a random
--     whole number from LOW to HIGH (e.g. a claim id).
-- CONNECTION "close" sends "Connection: close" with every request (a new connection each time: what
-- clients without keep-alive do); otherwise wrk keeps its connections open when the server does.
-- Each thread draws from its own seeded generator, so a run is repeatable. Every request carries
-- "X-Forwarded-Proto: https", as from the TLS proxy in front of the app in production (without it,
-- production settings redirect plain HTTP to HTTPS).
-- done() prints one line "BENCH_JSON {...}" that bench/run.py reads: requests, duration, latency
-- percentiles (microseconds), wrk's socket errors, wrk's own count of statuses >= 400, and a count of
-- every status seen (from a response() hook), so that any status other than EXPECTED_STATUS shows.

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_number", counter)
   table.insert(threads, thread)
end

local requests = {}
local range_template, range_low, range_high

local function split_tabs(line)
   local fields = {}
   for field in string.gmatch(line, "[^\t]+") do
      table.insert(fields, field)
   end
   return fields
end

function init(args)
   local data_file, seed = args[1], tonumber(args[2] or "1")
   expected_status = tonumber(args[3] or "200")
   close_connections = args[4] == "close"
   statuses = {}
   unexpected = 0
   math.randomseed(seed * 1000 + thread_number)
   local host = wrk.headers["Host"]  -- "127.0.0.1:PORT": the host the ETags were computed for
   for line in io.lines(data_file) do
      if line ~= "" then
         local fields = split_tabs(line)
         if fields[1] == "RANGE" then
            range_template, range_low, range_high = fields[2], tonumber(fields[3]), tonumber(fields[4])
         else
            local headers = { ["Host"] = host, ["X-Forwarded-Proto"] = "https" }
            if close_connections then
               headers["Connection"] = "close"
            end
            if fields[2] then
               headers["If-None-Match"] = fields[2]
            end
            table.insert(requests, wrk.format("GET", fields[1], headers))
         end
      end
   end
end

function request()
   if range_template then
      local path = string.gsub(range_template, "{}", tostring(math.random(range_low, range_high)))
      local headers = { ["Host"] = wrk.headers["Host"], ["X-Forwarded-Proto"] = "https" }
      if close_connections then
         headers["Connection"] = "close"
      end
      return wrk.format("GET", path, headers)
   end
   return requests[math.random(#requests)]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= expected_status then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests_stats)
   local seen, total_unexpected = {}, 0
   for _, thread in ipairs(threads) do
      total_unexpected = total_unexpected + thread:get("unexpected")
      for status, count in pairs(thread:get("statuses")) do
         seen[status] = (seen[status] or 0) + count
      end
   end
   local status_parts = {}
   for status, count in pairs(seen) do
      table.insert(status_parts, string.format('"%d": %d', status, count))
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"status_errors": %d, "unexpected_status": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      errors.connect, errors.read, errors.write, errors.timeout,
      errors.status, total_unexpected, table.concat(status_parts, ", ")))
end
