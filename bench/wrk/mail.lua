-- SPDX-License-Identifier: Apache-2.0
-- wrk script: sendInvitationEmail by random admins (the admin role holds
-- bulk-register-user), one address a request, each request its own
-- address: 200 {"success":true} once the local relay bench/run.sh starts
-- (t/lib/smtp-sink.py --discard) has taken the mail.  Anything else
-- counts as unexpected (common.lua's expect()); run.sh checks that the
-- relay took a mail per request.
local C = dofile((os.getenv("BENCH_WRK_DIR") or
  error("BENCH_WRK_DIR is not set: the directory of common.lua (bench/run.sh sets it)")) .. "/common.lua")
local admins, n = C.nonempty(C.W.admins, "admins")
local post, fmt, random = C.post, string.format, math.random
local run = tonumber(os.getenv("BENCH_RUN_SEED")) or 0

request = C.counted(function()
  local a = admins[random(n)]
  return post(a.uid, a.token, fmt('{"emails":["guest-%d-%d-%d@mail.bench.example"]}', run, id or 1, made),
              "/api/v1/sendInvitationEmail")
end)

C.expect(200, '{"success":true}')
