-- SPDX-License-Identifier: Apache-2.0
-- wrk script: 90% find (an existing invite), 10% create (a new one), as
-- find.lua and create.lua.  common.lua (in BENCH_WRK_DIR) builds them.
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local find, create, random = C.finder(), C.creator(), math.random

function request()
  if random() < 0.9 then return find() end
  return create()
end
