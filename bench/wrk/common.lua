-- SPDX-License-Identifier: Apache-2.0
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
--   W            the workload (find_targets, admins, reject, validate,
--                members, use_rooms, newcomers)
--   DAYS         the days values create and reject draw from
--   threads      the thread objects setup() saw (in done()'s state)
--   post(uid, token, body[, path])  one POST (by default to
--                findOrCreateInvite), as wrk.format builds it; uid nil:
--                no login headers
--   call(method, path, uid, token)  one request without a body
--   nonempty(list, what)    list, #list; fails naming `what` if it is empty
--   expect(status[, body])  defines response() and done(): a response
--                with another status, or a body other than `body` (when
--                given), counts as unexpected; done() prints
--                "Unexpected responses: N" and "Requests made: N" (the
--                request() calls, for bench/run.sh's cursors)
--   counted(f)   f as a request function that counts its calls
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

local function login(uid, token)
  headers["X-User-Id"] = uid
  headers["X-Auth-Token"] = token
end

local function post(uid, token, body, to)
  login(uid, token)
  return wrk.format("POST", to or path, headers, body)
end
C.post = post

function C.call(method, to, uid, token)
  login(uid, token)
  return wrk.format(method, to, headers)
end

made = 0
function C.counted(f)
  return function()
    made = made + 1
    return f()
  end
end

bad = 0
function C.expect(status, body)
  function response(s, h, b)
    if s ~= status or (body and b ~= body) then bad = bad + 1 end
  end
  function done(summary, latency, requests)
    local n, m = 0, 0
    for _, t in ipairs(threads) do
      n = n + (tonumber(t:get("bad")) or 0)
      m = m + (tonumber(t:get("made")) or 0)
    end
    io.write(fmt("Unexpected responses: %d\nRequests made: %d\n", n, m))
  end
end

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
