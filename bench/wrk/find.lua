-- SPDX-License-Identifier: Apache-2.0
-- wrk script: findOrCreateInvite for invites that exist (200, no insert).
-- common.lua (in BENCH_WRK_DIR) builds the requests from BENCH_WORKLOAD.
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")

request = C.finder()
