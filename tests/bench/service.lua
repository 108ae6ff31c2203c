-- service.lua: wrk requests for hc-issued (tests/bench/service.sh).
--   wrk ... -s service.lua URL/v1/records -- new START       distinct people START, START+1, ...
--   wrk ... -s service.lua URL/v1/records -- fill START COUNT  the same until START .. START+COUNT-1 are done
--   wrk ... -s service.lua URL/v1/codes   -- held COUNT        random people among 0 .. COUNT-1
-- Person i has a valid GB 11643 ID (check digit computed here) that no
-- other i shares. Every answer must be 200 with a "jws" member; done()
-- prints one line (HC_BENCH_TOKEN: the bearer token; HC_BENCH_THREADS: wrk -t): "result requests N seconds S rate R p50_ms X p99_ms Y errors E p999_ms Z max_ms M".

local token = os.getenv("HC_BENCH_TOKEN") or ""
local mode, start, count = "new", 0, 0
local threads = {}
local nthreads = 0
-- each thread has its own Lua state and must know how many there are
local total = tonumber(os.getenv("HC_BENCH_THREADS") or "1")

local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"
local base_day = os.time({year = 1940, month = 1, day = 1, hour = 12})
local DAYS = 30000   -- 1940-01-01 .. 2022: every birth date in the past

-- The ID of person i: region, birth date, sequence, check digit.
local function id_of(i)
	local seq = i % 1000
	local day = math.floor(i / 1000) % DAYS
	local region = 110000 + math.floor(i / (1000 * DAYS))
	local birth = os.date("%Y%m%d", base_day + day * 86400)
	local s17 = string.format("%06d%s%03d", region, birth, seq)
	local sum = 0
	for k = 1, 17 do
		sum = sum + (s17:byte(k) - 48) * weights[k]
	end
	local c = (sum % 11) + 1
	return s17 .. checks:sub(c, c)
end

local surnames = {"张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"}
local given = {"伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟"}

local function record_of(i, now)
	local name = surnames[i % #surnames + 1] .. given[math.floor(i / 10) % #given + 1] ..
		given[math.floor(i / 120) % #given + 1]
	-- a negative test two hours ago, in CST
	local at = os.date("!%Y-%m-%dT%H:%M:%S+08:00", now - 7200 + 8 * 3600)
	return string.format('{"person":{"name":"%s","id":"%s"},' ..
		'"nat":[{"at":"%s","result":"negative","lab":"bench"}],' ..
		'"vaccinations":[{"at":"2021-05-01","product":"BBIBP-CorV","dose":1}]}',
		name, id_of(i), at)
end

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function init(args)
	mode = args[1] or "new"
	start = tonumber(args[2] or "0")
	count = tonumber(args[3] or "0")
	if mode == "held" then
		count = tonumber(args[2] or "1")
	end
	tid = tonumber(wrk.thread:get("tid"))
	-- wrk calls request() once on thread 0 to check the script before the
	-- run and never sends that request: thread 0 starts one step back
	k = (tid == 0) and -1 or 0
	bad = 0
	sent = 0
	stopped = false
	math.randomseed(os.time() + tid * 7919)
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Authorization"] = "Bearer " .. token
	wrk.method = "POST"
end

-- A held code's request for person i, made once per thread (up to
-- HELD_CACHE people; past that, made for each request): wrk's client
-- shares the two cores with the service, and making the ID and the
-- request text again for each request was a third of its CPU.
local HELD_CACHE = 200000
local held_req = {}

-- Thread tid of total takes people start + tid, start + tid + total, ...
function request()
	if mode == "held" then
		local i = math.random(0, count - 1)
		local r = held_req[i]
		if not r then
			r = wrk.format(nil, nil, nil, '{"id":"' .. id_of(i) .. '"}')
			if i < HELD_CACHE then
				held_req[i] = r
			end
		end
		return r
	end
	local i = start + tid + total * k
	k = k + 1
	return wrk.format(nil, nil, nil, record_of(i, os.time()))
end

function response(status, headers, body)
	sent = sent + 1
	if status ~= 200 or not body:find('"jws"', 1, true) then
		bad = bad + 1
		if bad <= 3 then
			io.stderr:write("bench: status " .. status .. ": " .. body:sub(1, 200) .. "\n")
		end
	end
	-- a fill stops once every person below count has surely been answered
	-- (each thread's share, plus the requests its connections had in flight)
	-- (wrk itself runs for its whole -d: service.sh stops it with SIGINT
	-- once every thread has left its mark file HC_BENCH_MARK.TID)
	if mode == "fill" and not stopped and sent >= math.ceil(count / total) + 64 then
		stopped = true
		local f = io.open((os.getenv("HC_BENCH_MARK") or "fill") .. "." .. tid, "w")
		if f then f:close() end
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local bad_total = 0
	for _, t in ipairs(threads) do
		bad_total = bad_total + (tonumber(t:get("bad")) or 0)
	end
	local e = summary.errors
	local errors = e.connect + e.read + e.write + e.status + e.timeout + bad_total
	local secs = summary.duration / 1e6
	io.write(string.format("result requests %d seconds %.2f rate %.0f p50_ms %.2f p99_ms %.2f errors %d p999_ms %.2f max_ms %.2f\n",
		summary.requests, secs, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors,
		latency:percentile(99.9) / 1000, latency.max / 1000))
end
