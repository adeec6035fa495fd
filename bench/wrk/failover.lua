-- SPDX-License-Identifier: Apache-2.0
-- wrk script of bench/failover.sh: findOrCreateInvite by a random creator
-- (fc + 15 digits, token "tok-" .. id, BENCH_FAILOVER_CREATORS of them)
-- with random days and maxUses: a create the first time, a find after.
-- Counts the answers by status; done() prints "Status N: count".
local creators = tonumber(os.getenv("BENCH_FAILOVER_CREATORS") or "200")
local days = {0, 1, 7, 15, 30}
local uses = {0, 1, 5, 10, 25, 50, 100}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  counts = {}
end

function request()
  local id = string.format("fc%015d", math.random(0, creators - 1))
  local body = string.format('{"rid":"GENERAL","days":%d,"maxUses":%d}',
    days[math.random(#days)], uses[math.random(#uses)])
  return wrk.format("POST", wrk.path, {
    ["Content-Type"] = "application/json",
    ["X-User-Id"] = id, ["X-Auth-Token"] = "tok-" .. id }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("Status %d: %d\n", status, n))
  end
end
