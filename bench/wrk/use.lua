-- SPDX-License-Identifier: Apache-2.0
-- wrk script: useInviteToken by newcomers: each request joins a user who
-- has no subscription to a room through its live maxUses-0 invite, so
-- each one writes (one subscription, one use).  Any status but 200 counts
-- as unexpected (common.lua's expect()).
--
-- Request k (counted across runs: BENCH_USE_OFFSET, which bench/run.sh
-- advances by the "Requests made" of the previous runs on the same
-- database) pairs newcomer k mod #newcomers with use room
-- floor(k / #newcomers) mod #use_rooms: distinct (user, room) pairs for
-- k < #newcomers * #use_rooms, which seed.pl --use-pairs sizes for the
-- whole make bench.  Past that, pairs repeat and requests become member
-- reads; bench/run.sh reports them (requests - subscriptions added).
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local rooms, nr = C.nonempty(C.W.use_rooms, "use_rooms")
local users, nu = C.nonempty(C.W.newcomers, "newcomers (seed.pl --use-pairs)")
local offset = tonumber(os.getenv("BENCH_USE_OFFSET")) or 0
local step = tonumber(os.getenv("BENCH_WRK_THREADS")) or 1
local post, fmt, floor = C.post, string.format, math.floor

request = C.counted(function()
  local k = offset + (made - 1) * step + ((id or 1) - 1)
  local u, r = users[k % nu + 1], rooms[floor(k / nu) % nr + 1]
  return post(u.uid, u.token, fmt('{"token":"%s"}', r.invite), "/api/v1/useInviteToken")
end)

C.expect(200)
