-- GET /api/bookings as a signed-in patient with a few bookings (bench-data.lua's `listed`),
-- each with a sealed note: what the portal's "my bookings" page asks for. Every request also
-- appends a view event per booking to the access log, as the server must.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local data = dofile(os.getenv("BENCH_DATA"))

wrk.method = "GET"
wrk.headers["Cookie"] = data.lister_cookie

done = report.done
