-- What the wrk scripts of make bench share, loaded by each of them with
--   dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
-- (wrk tells a script nothing of its own path; bench/run.sh sets
-- BENCH_WRK_DIR to this directory).  wrk runs a script in one Lua state
-- for setup() and done() and in one per thread for init(), request() and
-- response(), so this file is loaded in each of them.
--
-- Environment: BENCH_WORKLOAD, workload.lua written by bench/seed.pl;
-- BENCH_RUN_SEED, a number that differs per run, so that each run (and
-- each thread) draws its own requests.
--
-- Defines the globals setup() and init(); returns a table:
--   W            the workload (find_targets, admins, reject)
--   DAYS         the days values create and reject draw from
--   threads      the thread objects setup() saw (in done()'s state)
--   post(uid, token, body)  one POST to the endpoint, as wrk.format builds it
--   nonempty(list, what)    list, #list; fails naming `what` if it is empty
--   finder()     a request function: an admin's live invite (200, no insert)
--   creator()    a request function: a random admin, one of its c/p rooms,
--                random days and maxUses, so that nearly every request
--                inserts an invite
local C = {}

local W = dofile(os.getenv("BENCH_WORKLOAD") or "workload.lua")
local DAYS = { 0, 1, 7, 15, 30 }
local USES = { 0, 1, 5, 10, 25, 50, 100 }
local path = "/api/v1/findOrCreateInvite"
local headers = { ["Content-Type"] = "application/json" }
local fmt, random = string.format, math.random
local BODY = '{"rid":"%s","days":%d,"maxUses":%d}'
C.W, C.DAYS = W, DAYS

local threads = {}
C.threads = threads
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function init(args)
  math.randomseed((tonumber(os.getenv("BENCH_RUN_SEED")) or os.time()) * 64 + (id or 0))
end

local function post(uid, token, body)
  headers["X-User-Id"] = uid
  headers["X-Auth-Token"] = token
  return wrk.format("POST", path, headers, body)
end
C.post = post

local function nonempty(list, what)   -- list, #list; fails on an empty one
  local n = #list
  assert(n > 0, "workload.lua has no " .. what)
  return list, n
end
C.nonempty = nonempty

function C.finder()
  local targets, n = nonempty(W.find_targets, "find_targets")
  return function()
    local t = targets[random(n)]
    return post(t.uid, t.token, fmt(BODY, t.rid, t.days, t.maxUses))
  end
end

function C.creator()
  local admins, n = nonempty(W.admins, "admins")
  return function()
    local a = admins[random(n)]
    local rooms = a.rooms
    return post(a.uid, a.token,
      fmt(BODY, rooms[random(#rooms)], DAYS[random(5)], USES[random(7)]))
  end
end

return C
