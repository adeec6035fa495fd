-- SPDX-License-Identifier: Apache-2.0
-- wrk script: removeInvite/<id> by random admins, each id once: 200 and
-- the literal true.  The ids are those bench/run.sh inserts before each
-- run (and drops after it): "rm" and 8 hex digits of k * 2654435761 mod
-- 2^32 for k = 1..BENCH_REMOVE_IDS, scattered over the primary key like
-- real ids.  Thread t of T takes k = t, t + T, ...; past the last id the
-- answer would be 400 invalid-invitation-id, counted as unexpected
-- (common.lua's expect()), so run.sh loads more ids than any run can use.
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local admins, n = C.nonempty(C.W.admins, "admins")
local step = tonumber(os.getenv("BENCH_WRK_THREADS")) or 1
local call, fmt, floor, random = C.call, string.format, math.floor, math.random

request = C.counted(function()
  local k = (made - 1) * step + (id or 1)
  local h = k * 2654435761 % 4294967296   -- exact in a double
  local a = admins[random(n)]
  return call("DELETE", fmt("/api/v1/removeInvite/rm%04x%04x", floor(h / 65536), h % 65536), a.uid, a.token)
end)

C.expect(200, "true")
