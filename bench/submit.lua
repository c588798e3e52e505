-- wrk script: POST a distinct JSON report per request and count response statuses.
-- Each thread numbers its own requests; thread ids and a per-run nonce keep every
-- what_happened different across threads, warm-up and measured runs.

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("thread_id", next_id)
   table.insert(threads, thread)
end

counter = 0
statuses = {}
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"what_happened":"Benchmark report %s-%d-%d: someone kept interrupting a speaker ' ..
      'in hall B and followed them to the hallway afterwards.",' ..
      '"where":"Hall B","when":"around 14:00","reporter_relation":"witness",' ..
      '"law_enforcement":"no","danger_now":false}',
      nonce, thread_id, counter)
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
   local merged = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses")
      for status, n in pairs(counts) do
         merged[status] = (merged[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(merged) do
      table.insert(parts, string.format('"%s":%d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
      '"statuses":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, table.concat(parts, ",")))
end
