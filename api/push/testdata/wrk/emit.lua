-- wrk script: POST /v1/emit with the key of bench.yaml, to user u0 or, with
-- the argument room, to room bench (every pushload client).
-- wrk -t1 -c32 -d15s --latency -s api/push/testdata/wrk/emit.lua http://127.0.0.1:3101/v1/emit -- user|room
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key-0123456789abcdef"

init = function(args)
  local targets = '{"users":["u0"]}'
  if args[1] == "room" then
    targets = '{"rooms":["bench"]}'
  elseif args[1] ~= nil and args[1] ~= "user" then
    io.stderr:write("usage: wrk ... -s emit.lua <url> -- user|room\n")
    os.exit(64)
  end
  wrk.body = '{"event":"note","data":{"t":0,"p":"a payload of about sixty bytes, as a chat message"},"targets":' .. targets .. '}'
end

done = function(summary)
  local e = summary.errors
  io.write(string.format("non-2xx: %d, socket errors: %d\n", e.status, e.connect + e.read + e.write + e.timeout))
end
