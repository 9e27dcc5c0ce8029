-- POST /api/bookings as a signed-in patient, each request a new booking id and a free slot
-- with a ~1 KiB sealed note: what the widget and the portal send. Slots and the session come
-- from bench-data.lua (written by bench-server-setup; its path in BENCH_DATA). Arguments:
-- the number of wrk threads, the round and the number of rounds: each round has its own
-- share of the slots and each thread takes every n-th slot of it, so no two requests of the
-- whole benchmark ask for the same slot or send the same booking id.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local data = dofile(os.getenv("BENCH_DATA"))

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  count = 0
  stride = tonumber(args[1])
  round = tonumber(args[2])
  local share = math.floor(#data.slots / tonumber(args[3]))
  first = (round - 1) * share
  last = round * share
  headers = { ["Content-Type"] = "application/json", ["Cookie"] = data.creator_cookie }
end

function request()
  local index = first + tid + count * stride + 1
  count = count + 1
  local slot = index <= last and data.slots[index] or nil
  if slot == nil then
    -- Out of free slots: ask for a taken one (409), which the report counts as non-2xx.
    slot = data.slots[1]
  end
  -- 22 base64url characters (16 bytes; the last is 'A' so the unused bits are zero).
  local id = string.format("BenchR%dT%dN%011dA", round, tid, count)
  local body = string.format(
    '{"id":"%s","providerId":"%s","serviceId":"%s","start":"%s","note":"%s"}',
    id, slot[2], data.service, slot[1], data.note)
  return wrk.format("POST", "/api/bookings", headers, body)
end

done = report.done
