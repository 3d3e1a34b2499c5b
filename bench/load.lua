-- bench/run's load: wrk sends the service's GraphQL requests with this script (bench/wrk.py starts it).
--
--   wrk --threads 1 --connections 8 --duration 8s --timeout 30s --script bench/load.lua URL -- \
--       mode=spread users=USERS_FILE prefix=RUN_PREFIX seed=N [receiver=USERNAME] [batch=100]
--
-- mode       spread     transfer 0.01 between a random pair of distinct users
--            hot        transfer 0.01 from a random user to `receiver` (many payers, one merchant)
--            add_money  top up 0.01 to a random user's wallet
--            batch      transferBatch of `batch` transfers of 0.01 from a random user to distinct random others
--            reads      the viewer's wallet and first 50 transactions, as a random user
-- users      a file of "username<TAB>access token" lines (tokens minted by bench/run before the run)
-- prefix     unique to this wrk run: idempotency keys are prefix-thread-counter, so every request is new money
--
-- Every response is read to count it: 200 with no errors is `ok`; any other status is `http_error`; a GraphQL
-- error (top-level `errors`, or `data` null) is `graphql_error`; a refusal in the payload (`errors { code }`
-- not empty) is `payload_error`. done() prints one line, "BENCH_RESULT {json}", with the counts and wrk's
-- latency percentiles (microseconds), for bench/wrk.py to read.

local TRANSFER = "mutation Transfer($input: TransferInput!) { transfer(input: $input) {"
  .. " transaction { id status } wallet { balance } errors { code } } }"
local ADD_MONEY = "mutation AddMoney($input: AddMoneyInput!) { addMoney(input: $input) {"
  .. " transaction { id status } wallet { balance } errors { code } } }"
local BATCH = "mutation Batch($input: TransferBatchInput!) { transferBatch(input: $input) {"
  .. " transactions { id } wallet { balance } errors { code } } }"
local READS = "query { wallet { balance availableBalance }"
  .. " transactions(first: 50) { edges { node { id amount status } } } }"
local AMOUNT = "0.01"
local SAMPLE_CHARS = 400

-- The main state: the threads, to add up their counts in done().
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

-- Each thread's state. Globals, so that done() can read them with thread:get().
ok, http_error, graphql_error, payload_error = 0, 0, 0, 0
statuses, sample = "", ""

local mode, names, auths, items, n, head, key_prefix, counter, receiver, batch_size, status_counts

function init(args)
  local cfg = {}
  for _, arg in ipairs(args) do
    local name, value = arg:match("^([%w_]+)=(.*)$")
    if not name then
      error("bench/load.lua: arguments are name=value, not " .. arg)
    end
    cfg[name] = value
  end
  mode = cfg.mode
  names, auths = {}, {}
  for line in io.lines(cfg.users) do
    local name, token = line:match("^(%S+)\t(%S+)$")
    if name then
      names[#names + 1] = name
      auths[#auths + 1] = "Bearer " .. token
    end
  end
  n = #names
  if mode == "batch" then
    -- Each user as a batch item, built once: a batch is 100 of them.
    items = {}
    for i = 1, n do
      items[i] = '{"receiverUsername":"' .. names[i] .. '","amount":"' .. AMOUNT .. '"}'
    end
  end
  receiver = cfg.receiver
  batch_size = tonumber(cfg.batch or "100")
  if n < 2 or (mode == "batch" and n <= batch_size) or (mode == "hot" and not receiver) then
    error("bench/load.lua: not enough users (or no receiver) for mode " .. tostring(mode))
  end
  math.randomseed(tonumber(cfg.seed or "1") * 1000 + tid)
  key_prefix = cfg.prefix .. "-" .. tid .. "-"
  counter = 0
  status_counts = {}
  head = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. wrk.headers["Host"]
    .. "\r\nContent-Type: application/json\r\nAuthorization: "
end

local function post(auth, body)
  return head .. auth .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

local function idempotency_key()
  counter = counter + 1
  return key_prefix .. counter
end

-- A random user other than user i.
local function other_than(i)
  local j = math.random(n - 1)
  if j >= i then
    j = j + 1
  end
  return j
end

local function transfer_body(to)
  return '{"query":"' .. TRANSFER .. '","variables":{"input":{"receiverUsername":"' .. to
    .. '","amount":"' .. AMOUNT .. '","idempotencyKey":"' .. idempotency_key() .. '"}}}'
end

function request()
  local sender = math.random(n)
  if mode == "spread" then
    return post(auths[sender], transfer_body(names[other_than(sender)]))
  elseif mode == "hot" then
    return post(auths[sender], transfer_body(receiver))
  elseif mode == "add_money" then
    return post(auths[sender], '{"query":"' .. ADD_MONEY .. '","variables":{"input":{"amount":"' .. AMOUNT
      .. '","idempotencyKey":"' .. idempotency_key() .. '"}}}')
  elseif mode == "batch" then
    local chosen, batch, count = { [sender] = true }, {}, 0
    while count < batch_size do
      local to = math.random(n)
      if not chosen[to] then
        chosen[to] = true
        count = count + 1
        batch[count] = items[to]
      end
    end
    return post(auths[sender], '{"query":"' .. BATCH .. '","variables":{"input":{"transfers":['
      .. table.concat(batch, ",") .. '],"idempotencyKey":"' .. idempotency_key() .. '"}}}')
  elseif mode == "reads" then
    return post(auths[sender], '{"query":"' .. READS .. '"}')
  end
  error("bench/load.lua: unknown mode " .. tostring(mode))
end

local function remember(status, body)
  if sample == "" then
    sample = status .. " " .. (body or ""):sub(1, SAMPLE_CHARS)
  end
end

function response(status, headers, body)
  if status ~= 200 then
    http_error = http_error + 1
    remember(status, body)
    status_counts[status] = (status_counts[status] or 0) + 1
    local parts = {}
    for code, count in pairs(status_counts) do
      parts[#parts + 1] = code .. ":" .. count
    end
    statuses = table.concat(parts, ",")
    return
  end
  -- Plain searches, then a pattern anchored where they hit: a batch's answer is kilobytes long.
  -- The first "data" is the response's own (our documents select no field of that name).
  local data = body:find('"data"', 1, true)
  local graphql, refused = not data or not body:find("^%s*:%s*{", data + 6), false
  -- Our documents select `errors { code }`: a payload's error objects start with "code", GraphQL's with "message".
  local at = 1
  while true do
    local _, last = body:find('"errors"', at, true)
    if not last then
      break
    end
    local first_key = body:match('^%s*:%s*%[%s*{%s*"(%w+)"', last + 1)
    if first_key == "code" then
      refused = true
    elseif first_key then
      graphql = true
    end
    at = last + 1
  end
  if graphql then
    graphql_error = graphql_error + 1
    remember(status, body)
  elseif refused then
    payload_error = payload_error + 1
    remember(status, body)
  else
    ok = ok + 1
  end
end

local function number(x)
  if x ~= x or x == math.huge or x == -math.huge then
    return "null"
  end
  return string.format("%.1f", x)
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' or c == "\\" then
      return "\\" .. c
    end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

function done(summary, latency, requests)
  local counts = { ok = 0, http_error = 0, graphql_error = 0, payload_error = 0 }
  local samples, status_list = {}, {}
  for _, thread in ipairs(threads) do
    for name in pairs(counts) do
      counts[name] = counts[name] + (thread:get(name) or 0)
    end
    local one = thread:get("sample")
    if one and one ~= "" then
      samples[#samples + 1] = json_string(one)
    end
    local these = thread:get("statuses")
    if these and these ~= "" then
      status_list[#status_list + 1] = these
    end
  end
  local errors = summary.errors
  local fields = {
    '"duration_us":' .. summary.duration,
    '"requests":' .. summary.requests,
    '"bytes":' .. summary.bytes,
    '"ok":' .. counts.ok,
    '"http_error":' .. counts.http_error,
    '"graphql_error":' .. counts.graphql_error,
    '"payload_error":' .. counts.payload_error,
    '"http_statuses":' .. json_string(table.concat(status_list, ",")),
    '"socket_errors":{"connect":' .. errors.connect .. ',"read":' .. errors.read .. ',"write":' .. errors.write
      .. ',"timeout":' .. errors.timeout .. "}",
    '"latency_us":{"min":' .. number(latency.min) .. ',"mean":' .. number(latency.mean) .. ',"max":'
      .. number(latency.max) .. ',"p50":' .. number(latency:percentile(50)) .. ',"p95":'
      .. number(latency:percentile(95)) .. ',"p99":' .. number(latency:percentile(99)) .. "}",
    '"error_samples":[' .. table.concat(samples, ",") .. "]",
  }
  io.write("BENCH_RESULT {" .. table.concat(fields, ",") .. "}\n")
end
