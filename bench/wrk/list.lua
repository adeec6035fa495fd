-- SPDX-License-Identifier: Apache-2.0
-- wrk script: listInvites by random admins: 200 and every invite of the
-- list data set (bench/run.sh serves it from its own database, see
-- bench/README).  Any other status counts as unexpected (common.lua's
-- expect()).
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local admins, n = C.nonempty(C.W.admins, "admins")
local call, random = C.call, math.random

request = C.counted(function()
  local a = admins[random(n)]
  return call("GET", "/api/v1/listInvites", a.uid, a.token)
end)

C.expect(200)
