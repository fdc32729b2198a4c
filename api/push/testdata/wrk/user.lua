-- wrk script: POST /v1/emit to user u0, with the key of bench.yaml.
-- wrk -t1 -c32 -d15s --latency -s api/push/testdata/wrk/user.lua http://127.0.0.1:3101/v1/emit
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key-0123456789abcdef"
wrk.body = '{"event":"note","data":{"t":0,"p":"a payload of about sixty bytes, as a chat message"},"targets":{"users":["u0"]}}'

done = function(summary)
  local e = summary.errors
  io.write(string.format("non-2xx: %d, socket errors: %d\n", e.status, e.connect + e.read + e.write + e.timeout))
end
