-- wrk script: existing users with a wrong token; every answer must be 401.
-- Statuses other than 401 are counted and printed by done() as
-- "Non-401 responses: N".  common.lua (in BENCH_WRK_DIR) loads the
-- workload and builds the requests.
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local reject, n = C.nonempty(C.W.reject, "reject entries")
local DAYS, post = C.DAYS, C.post
local fmt, random = string.format, math.random

function request()
  local r = reject[random(n)]
  return post(r.uid, r.badtoken, fmt('{"rid":"%s","days":%d,"maxUses":0}', r.rid, DAYS[random(5)]))
end

bad = 0
function response(status, headers, body)
  if status ~= 401 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(C.threads) do total = total + (tonumber(t:get("bad")) or 0) end
  io.write(fmt("Non-401 responses: %d\n", total))
end
