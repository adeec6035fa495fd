-- wrk script: findOrCreateInvite with fresh settings, so that nearly every
-- request inserts an invite: a random admin, one of its c/p rooms, random
-- days and maxUses.  BENCH_WORKLOAD: workload.lua written by bench/seed.pl.
local W = dofile(os.getenv("BENCH_WORKLOAD") or "workload.lua")
local admins = W.admins
local n = #admins
assert(n > 0, "workload.lua has no admins")
local DAYS = { 0, 1, 7, 15, 30 }
local USES = { 0, 1, 5, 10, 25, 50, 100 }
local path = "/api/v1/findOrCreateInvite"
local headers = { ["Content-Type"] = "application/json" }
local fmt, random = string.format, math.random

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  -- Each run draws new settings (BENCH_RUN_SEED differs per run).
  math.randomseed((tonumber(os.getenv("BENCH_RUN_SEED")) or os.time()) * 64 + (id or 0))
end

function request()
  local a = admins[random(n)]
  local rooms = a.rooms
  headers["X-User-Id"] = a.uid
  headers["X-Auth-Token"] = a.token
  return wrk.format("POST", path, headers,
    fmt('{"rid":"%s","days":%d,"maxUses":%d}', rooms[random(#rooms)],
        DAYS[random(5)], USES[random(7)]))
end
