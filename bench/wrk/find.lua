-- wrk script: findOrCreateInvite for invites that exist (200, no insert).
-- BENCH_WORKLOAD: workload.lua written by bench/seed.pl.
local W = dofile(os.getenv("BENCH_WORKLOAD") or "workload.lua")
local targets = W.find_targets
local n = #targets
assert(n > 0, "workload.lua has no find_targets")
local path = "/api/v1/findOrCreateInvite"
local headers = { ["Content-Type"] = "application/json" }
local fmt = string.format

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  math.randomseed((tonumber(os.getenv("BENCH_RUN_SEED")) or os.time()) * 64 + (id or 0))
end

function request()
  local t = targets[math.random(n)]
  headers["X-User-Id"] = t.uid
  headers["X-Auth-Token"] = t.token
  return wrk.format("POST", path, headers,
    fmt('{"rid":"%s","days":%d,"maxUses":%d}', t.rid, t.days, t.maxUses))
end
