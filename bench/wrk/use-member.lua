-- SPDX-License-Identifier: Apache-2.0
-- wrk script: useInviteToken by members of the invite's room: 200 with
-- the room, nothing written (no subscription, no use counted; bench/run.sh
-- checks).  Any other status counts as unexpected (common.lua's expect()).
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local members, n = C.nonempty(C.W.members, "member entries")
local post, fmt, random = C.post, string.format, math.random

request = C.counted(function()
  local m = members[random(n)]
  return post(m.uid, m.token, fmt('{"token":"%s"}', m.invite), "/api/v1/useInviteToken")
end)

C.expect(200)
