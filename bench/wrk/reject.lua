-- wrk script: existing users with a wrong token; every answer must be 401.
-- Statuses other than 401 are counted and printed by done() as
-- "Non-401 responses: N".  BENCH_WORKLOAD: workload.lua from bench/seed.pl.
local W = dofile(os.getenv("BENCH_WORKLOAD") or "workload.lua")
local reject = W.reject
local n = #reject
assert(n > 0, "workload.lua has no reject entries")
local DAYS = { 0, 1, 7, 15, 30 }
local path = "/api/v1/findOrCreateInvite"
local headers = { ["Content-Type"] = "application/json" }
local fmt, random = string.format, math.random

local threads, all = 0, {}
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
  all[threads] = thread
end

function init(args)
  math.randomseed((tonumber(os.getenv("BENCH_RUN_SEED")) or os.time()) * 64 + (id or 0))
end

function request()
  local r = reject[random(n)]
  headers["X-User-Id"] = r.uid
  headers["X-Auth-Token"] = r.badtoken
  return wrk.format("POST", path, headers,
    fmt('{"rid":"%s","days":%d,"maxUses":0}', r.rid, DAYS[random(5)]))
end

bad = 0
function response(status, headers, body)
  if status ~= 401 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(all) do total = total + (tonumber(t:get("bad")) or 0) end
  io.write(fmt("Non-401 responses: %d\n", total))
end
