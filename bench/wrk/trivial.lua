-- GET /trivial on bench-trivial: the baseline, measured like the booking runs.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local report = require("report")

done = report.done
