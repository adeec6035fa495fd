-- SPDX-License-Identifier: Apache-2.0
-- wrk script: findOrCreateInvite with fresh settings, so that nearly every
-- request inserts an invite: a random admin, one of its c/p rooms, random
-- days and maxUses.  Each run draws new settings (BENCH_RUN_SEED differs
-- per run).  common.lua (in BENCH_WRK_DIR) builds the requests.
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")

request = C.creator()
