-- SPDX-License-Identifier: Apache-2.0
-- wrk script: existing users with a wrong token; every answer must be 401
-- (others are counted by common.lua's expect()).  common.lua (in
-- BENCH_WRK_DIR) loads the workload and builds the requests.
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local reject, n = C.nonempty(C.W.reject, "reject entries")
local DAYS, post = C.DAYS, C.post
local fmt, random = string.format, math.random

function request()
  local r = reject[random(n)]
  return post(r.uid, r.badtoken, fmt('{"rid":"%s","days":%d,"maxUses":0}', r.rid, DAYS[random(5)]))
end

C.expect(401)
