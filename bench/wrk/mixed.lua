-- wrk script: 90% find (an existing invite), 10% create (a new one), as
-- find.lua and create.lua.  BENCH_WORKLOAD: workload.lua from bench/seed.pl.
local W = dofile(os.getenv("BENCH_WORKLOAD") or "workload.lua")
local targets, admins = W.find_targets, W.admins
local nt, na = #targets, #admins
assert(nt > 0 and na > 0, "workload.lua lacks find_targets or admins")
local DAYS = { 0, 1, 7, 15, 30 }
local USES = { 0, 1, 5, 10, 25, 50, 100 }
local path = "/api/v1/findOrCreateInvite"
local headers = { ["Content-Type"] = "application/json" }
local fmt, random = string.format, math.random
local BODY = '{"rid":"%s","days":%d,"maxUses":%d}'

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  math.randomseed((tonumber(os.getenv("BENCH_RUN_SEED")) or os.time()) * 64 + (id or 0))
end

function request()
  local body
  if random() < 0.9 then
    local t = targets[random(nt)]
    headers["X-User-Id"] = t.uid
    headers["X-Auth-Token"] = t.token
    body = fmt(BODY, t.rid, t.days, t.maxUses)
  else
    local a = admins[random(na)]
    local rooms = a.rooms
    headers["X-User-Id"] = a.uid
    headers["X-Auth-Token"] = a.token
    body = fmt(BODY, rooms[random(#rooms)], DAYS[random(5)], USES[random(7)])
  end
  return wrk.format("POST", path, headers, body)
end
