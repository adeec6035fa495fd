-- SPDX-License-Identifier: Apache-2.0
-- wrk script: validateInviteToken (no login) with the tokens of live
-- invites: 200 {"valid":true,"success":true}, one SELECT.  Anything else
-- counts as unexpected (common.lua's expect()).
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local tokens, n = C.nonempty(C.W.validate, "validate tokens")
local post, fmt, random = C.post, string.format, math.random

request = C.counted(function()
  return post(nil, nil, fmt('{"token":"%s"}', tokens[random(n)].token), "/api/v1/validateInviteToken")
end)

C.expect(200, '{"valid":true,"success":true}')
