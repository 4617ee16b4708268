-- Berth: endpoint sets pushed into a running Nginx without a reload (docs/gateway.md,
-- "Endpoints without reload"). The renderer (src/dynamic-upstreams.ts) inlines this file into
-- init_by_lua_block, so the code is part of the configuration version that nginx -t checked.
--
-- Shared dict keys, all but "version" and "lock" under the version they belong to:
--   "version"        the applied version (flipped last: one write makes a whole set current)
--   "p/<v>/<pool>"   a pool's endpoints, "ADDRESS WEIGHT,..." (absent: no endpoints)
--   "set/<v>"        the canonical JSON of the whole set (GET /endpoints, the endpoints file)
--   "lock"           held while a push is applied
-- A worker reads "version" per request and re-reads only the pool it balances when that moved,
-- so a push costs each request one shared-dict read, and a pool whose endpoints did not change
-- keeps its round-robin state.
local cjson = require("cjson.safe")
local ngx_balancer = require("ngx.balancer")

local M = {}

local dict
local pools = {} -- known pools: name -> { max_fails, fail_timeout } (from the configuration)
local pool_count = 0
local tries_limit = 3
local max_endpoints = 100000
local file_path -- the endpoints file: PREFIX/endpoints/current.json
local write_on_push = true -- false: the agent writes the file before it pushes (write-ahead)

-- Worker-local state.
local wcache = {} -- pool -> { version, text, eps = { { host, port, weight, key, cw } } }
local health = {} -- "pool address" -> { n, since, down_until } (passive health, like max_fails)

local MAX_VERSION = 9007199254740991
-- Exiting the balancer with NGX_BUSY makes Nginx answer 502 ("no live upstreams"), as an empty
-- pool with a `down` server does in the rendered upstreams; any other status would be a 500.
local NGX_BUSY = -3

local function octet_ok(o)
  return #o <= 3 and tonumber(o) <= 255 and (#o == 1 or o:byte(1) ~= 48)
end

local function parse_address(a)
  if type(a) ~= "string" or #a > 21 then
    return nil
  end
  local o1, o2, o3, o4, port = a:match("^(%d+)%.(%d+)%.(%d+)%.(%d+):(%d+)$")
  if not o1 or not (octet_ok(o1) and octet_ok(o2) and octet_ok(o3) and octet_ok(o4)) then
    return nil
  end
  if #port > 5 or port:byte(1) == 48 then
    return nil
  end
  local p = tonumber(port)
  if p < 1 or p > 65535 then
    return nil
  end
  return a, p
end

-- A short, printable rendering of a user value for a message (the message is JSON-encoded).
local function show(v)
  local s = tostring(v)
  if #s > 64 then
    s = s:sub(1, 64) .. "..."
  end
  return s
end

-- The path of an endpoint in the body, for a message (built only then).
local function at(name, i)
  return "pools." .. name .. "[" .. (i - 1) .. "]"
end

local function is_integer(v, min, max)
  return type(v) == "number" and v == math.floor(v) and v >= min and v <= max
end

-- Validates a decoded body completely. Returns { version, pools = { name = { {address, weight} } } }
-- or nil and a message that says what is wrong and where. `skip_unknown` (the endpoints file at
-- start) leaves out pools the configuration no longer has instead of refusing the whole set.
local function validate(doc, skip_unknown)
  if type(doc) ~= "table" then
    return nil, "the body must be a JSON object {\"version\": N, \"pools\": {\"pool\": [{\"address\": \"IPV4:PORT\", \"weight\": N}]}}"
  end
  for k in pairs(doc) do
    if type(k) ~= "string" then
      return nil, "the body must be a JSON object {\"version\": N, \"pools\": {...}}, not an array"
    end
    if k ~= "version" and k ~= "pools" then
      return nil, "unknown field \"" .. show(k) .. "\": the body has only version and pools"
    end
  end
  if not is_integer(doc.version, 1, MAX_VERSION) then
    return nil, "version must be a positive integer, got " .. show(cjson.encode(doc.version))
  end
  if type(doc.pools) ~= "table" then
    return nil, "pools must be an object of pool name to a list of endpoints"
  end
  local out, total = {}, 0
  for name, list in pairs(doc.pools) do
    if type(name) ~= "string" then
      return nil, "pools must be an object of pool name to a list of endpoints, not an array"
    end
    if not pools[name] and skip_unknown and type(name) == "string" then
      ngx.log(ngx.WARN, "berth: the endpoints file names pool ", show(name), ", which this configuration does not have")
      goto continue
    end
    if not pools[name] then
      return nil, "pools." .. show(name) .. ": unknown pool; this configuration has " .. pool_count
        .. " pools, and a new pool arrives with a configuration version (render, nginx -t, reload)"
    end
    if type(list) ~= "table" then
      return nil, "pools." .. name .. " must be a list of {address, weight}"
    end
    local n = 0
    for _ in pairs(list) do
      n = n + 1
    end
    if n ~= #list then
      return nil, "pools." .. name .. " must be a list of {address, weight}, not an object"
    end
    local seen, eps = {}, {}
    for i, e in ipairs(list) do
      if type(e) ~= "table" then
        return nil, at(name, i) .. " must be an object {address, weight}"
      end
      for k in pairs(e) do
        if k ~= "address" and k ~= "weight" then
          return nil, at(name, i) .. ": unknown field \"" .. show(k) .. "\" (an endpoint has address and weight)"
        end
      end
      local address = parse_address(e.address)
      if not address then
        return nil, at(name, i) .. ".address must be IPV4:PORT (port 1-65535), got " .. show(cjson.encode(e.address))
      end
      local weight = e.weight
      if weight == nil then
        weight = 1
      end
      if not is_integer(weight, 0, 1000) then
        return nil, at(name, i) .. ".weight must be an integer from 0 (drained) to 1000, got " .. show(cjson.encode(e.weight))
      end
      if seen[address] then
        return nil, at(name, i) .. ".address " .. address .. " appears twice in the pool"
      end
      seen[address] = true
      eps[#eps + 1] = { address = address, weight = weight }
    end
    total = total + #eps
    if total > max_endpoints then
      return nil, "more than " .. max_endpoints .. " endpoints in one push"
    end
    out[name] = eps
    ::continue::
  end
  return { version = doc.version, pools = out, endpoints = total }
end

local function vkey(prefix, v, pool)
  return prefix .. string.format("%.0f", v) .. (pool and "/" .. pool or "")
end

-- The canonical JSON of a validated set (pools sorted by name, endpoints in the pushed order)
-- and each pool's compact text. Every value is validated (identifiers, addresses, integers), so
-- plain concatenation is safe.
local function encode(set)
  local names = {}
  for name in pairs(set.pools) do
    names[#names + 1] = name
  end
  table.sort(names)
  -- One buffer of pieces for the JSON and one per pool for the compact text: no string is
  -- built per endpoint (10,000 endpoints are 10,000 fewer allocations).
  local js, n = { '{"version":', string.format("%.0f", set.version), ',"pools":{' }, 3
  local compact = {}
  for i, name in ipairs(names) do
    js[n + 1] = i > 1 and ',"' or '"'
    js[n + 2] = name
    js[n + 3] = '":['
    n = n + 3
    local cs, m = {}, 0
    for j, e in ipairs(set.pools[name]) do
      js[n + 1] = j > 1 and ',{"address":"' or '{"address":"'
      js[n + 2] = e.address
      js[n + 3] = '","weight":'
      js[n + 4] = e.weight
      js[n + 5] = "}"
      n = n + 5
      cs[m + 1] = j > 1 and "," or ""
      cs[m + 2] = e.address
      cs[m + 3] = " "
      cs[m + 4] = e.weight
      m = m + 4
    end
    js[n + 1] = "]"
    n = n + 1
    compact[name] = table.concat(cs)
  end
  js[n + 1] = "}}"
  return table.concat(js), compact
end

-- Writes a set's keys under its version (not yet current). Returns true, or nil and the error
-- after removing what it wrote.
local function store(set, json, compact)
  local written = {}
  local function put_key(k, v)
    local ok, err = dict:set(k, v)
    if not ok then
      for _, w in ipairs(written) do
        dict:delete(w)
      end
      return nil, err
    end
    written[#written + 1] = k
    return true
  end
  -- Every pool this configuration declares gets a key, an empty one too (a declared pool absent
  -- from the set has no endpoints): a pool without a key is one a newer configuration dropped
  -- (see endpoints()).
  for name in pairs(pools) do
    if compact[name] == nil then
      compact[name] = ""
    end
  end
  for name, text in pairs(compact) do
    local ok, err = put_key(vkey("p/", set.version, name), text)
    if not ok then
      return nil, err
    end
  end
  local ok, err = put_key(vkey("set/", set.version), json)
  if not ok then
    return nil, err
  end
  return written
end

local function drop(version, written)
  if written then
    for _, k in ipairs(written) do
      dict:delete(k)
    end
    return
  end
  for name in pairs(pools) do
    dict:delete(vkey("p/", version, name))
  end
  dict:delete(vkey("set/", version))
end

-- Makes a stored set current and removes the previous one's keys.
local function flip(version, previous)
  dict:set("version", version)
  if previous > 0 and previous ~= version then
    drop(previous)
  end
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  return text
end

local function write_file(path, text)
  local tmp = path .. ".next"
  local f, err = io.open(tmp, "wb")
  if not f then
    return nil, err
  end
  local ok, werr = f:write(text)
  if not ok then
    f:close()
    os.remove(tmp)
    return nil, werr
  end
  local cok, cerr = f:close()
  if not cok then
    os.remove(tmp)
    return nil, cerr
  end
  local rok, rerr = os.rename(tmp, path)
  if not rok then
    return nil, rerr
  end
  return true
end

-- Loads the endpoints file into the shared dict when it is newer than what the dict holds.
-- Runs in the master (init_by_lua) before any worker exists: on a start the dict is empty, so
-- the first request of a restarted node already sees the last acknowledged set; on a reload
-- the dict survives and an older file is ignored.
local function load_file()
  local text = read_file(file_path)
  if not text then
    return
  end
  local doc, err = cjson.decode(text)
  local set, msg
  if doc then
    set, msg = validate(doc, true)
  else
    msg = "not JSON: " .. tostring(err)
  end
  if not set then
    ngx.log(ngx.ERR, "berth: ignoring the endpoints file ", file_path, ": ", msg)
    return
  end
  local current = dict:get("version") or 0
  if set.version <= current then
    return
  end
  local json, compact = encode(set)
  local ok, serr = store(set, json, compact)
  if not ok then
    ngx.log(ngx.ERR, "berth: the endpoints file does not fit the shared dict: ", serr)
    return
  end
  flip(set.version, current)
end

-- init_by_lua: the configuration's pools ("NAME MAX_FAILS FAIL_TIMEOUT" each), in batches
-- (each returned by a function of its own, which keeps LuaJIT's constants per function low).
function M.declare(batch)
  for _, line in ipairs(batch()) do
    local name, mf, ft = line:match("^([%w_]+) (%d+) (%d+)$")
    if not pools[name] then
      pool_count = pool_count + 1
    end
    pools[name] = { max_fails = tonumber(mf), fail_timeout = tonumber(ft) }
  end
end

-- init_by_lua, after every declare: loads the endpoints file.
function M.init(opts)
  dict = ngx.shared[opts.dict]
  tries_limit = opts.tries
  file_path = ngx.config.prefix() .. opts.file
  write_on_push = opts.write ~= false
  load_file()
end

-- The endpoints of a pool at the current version, parsed once per worker and change.
local function endpoints(pool)
  local v = dict:get("version") or 0
  local c = wcache[pool]
  if c and c.version == v then
    return c.eps
  end
  local text = dict:get(vkey("p/", v, pool))
  if text == nil then
    -- A push may have made a newer version current and dropped this one's keys in between.
    local now = dict:get("version") or 0
    if now ~= v then
      v = now
      text = dict:get(vkey("p/", v, pool))
    end
  end
  if text == nil then
    -- The set does not have this pool: a newer configuration dropped it, and this worker still
    -- runs the older one (a reload's old workers, until they stop accepting connections; the
    -- master loaded the newer set as it read the new configuration). Keep balancing over the
    -- endpoints this worker last had, which zero loss by confirmation keeps alive until every
    -- node runs without them.
    if c then
      c.version = v
      return c.eps
    end
    text = ""
  end
  if c and c.text == text then
    c.version = v
    return c.eps
  end
  local eps, present = {}, {}
  for address, host, port, weight in text:gmatch("(([%d.]+):(%d+)) (%d+)") do
    local key = pool .. " " .. address
    eps[#eps + 1] = { host = host, port = tonumber(port), weight = tonumber(weight), key = key, cw = 0 }
    present[key] = true
  end
  if c then
    for _, e in ipairs(c.eps) do
      if not present[e.key] then
        health[e.key] = nil
      end
    end
  end
  wcache[pool] = { version = v, text = text, eps = eps }
  return eps
end

local function note_failure(pool, key)
  local conf = pools[pool]
  if not conf or conf.max_fails == 0 then
    return
  end
  local now = ngx.now()
  local h = health[key]
  if not h or now - h.since > conf.fail_timeout then
    h = { n = 0, since = now, down_until = 0 }
    health[key] = h
  end
  h.n = h.n + 1
  if h.n >= conf.max_fails then
    h.down_until = now + conf.fail_timeout
    h.n = 0
    h.since = now
  end
end

-- Smooth weighted round robin (Nginx's own algorithm) over the candidates.
local function pick(candidates)
  local total, best = 0, nil
  for _, e in ipairs(candidates) do
    e.cw = e.cw + e.weight
    total = total + e.weight
    if not best or e.cw > best.cw then
      best = e
    end
  end
  if best then
    best.cw = best.cw - total
  end
  return best
end

-- The pool of a request in the "balancer" layout: a location's own pool, else the host's.
local function request_pool()
  local p = ngx.var.berth_route_pool
  if p == nil or p == "" then
    p = ngx.var.berth_pool
  end
  return p
end

-- balancer_by_lua: picks an endpoint of the pool (given by the "pool-upstreams" layout, read
-- from the request in the "balancer" one); on a retry (proxy_next_upstream), notes the failure
-- of the last one and picks another one not tried yet.
function M.balance(pool)
  local ctx = ngx.ctx
  if pool == nil then
    pool = ctx.berth_pool or request_pool()
    if not pools[pool] then
      ngx.log(ngx.ERR, "berth: no pool ", tostring(pool), " in this configuration")
      return ngx.exit(NGX_BUSY)
    end
    ctx.berth_pool = pool
  end
  local tried = ctx.berth_tried
  if tried then
    local _, code = ngx_balancer.get_last_failure()
    if code ~= 403 and code ~= 404 then
      note_failure(pool, ctx.berth_last)
    end
  else
    tried = {}
    ctx.berth_tried = tried
  end
  local eps = endpoints(pool)
  if #eps == 0 then
    ngx.log(ngx.ERR, "berth: pool ", pool, " has no endpoints (version ", wcache[pool].version, ")")
    return ngx.exit(NGX_BUSY)
  end
  local now = ngx.now()
  local live, untried = {}, {}
  for _, e in ipairs(eps) do
    if e.weight > 0 and not tried[e.key] then
      untried[#untried + 1] = e
      local h = health[e.key]
      if not h or h.down_until <= now then
        live[#live + 1] = e
      end
    end
  end
  -- Like Nginx with every server down, an all-failed pool is still tried rather than refused.
  local candidates = #live > 0 and live or untried
  local e = pick(candidates)
  if not e then
    ngx.log(ngx.ERR, "berth: pool ", pool, " has no endpoint left to try")
    return ngx.exit(NGX_BUSY)
  end
  if not ctx.berth_last then
    local more = math.min(#untried, tries_limit) - 1
    if more > 0 then
      ngx_balancer.set_more_tries(more)
    end
  end
  tried[e.key] = true
  ctx.berth_last = e.key
  local ok, err = ngx_balancer.set_current_peer(e.host, e.port)
  if not ok then
    ngx.log(ngx.ERR, "berth: could not set the peer ", e.key, ": ", err)
    return ngx.exit(NGX_BUSY)
  end
end

local function reply(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(body)
  return ngx.exit(status)
end

local function refuse(status, message)
  return reply(status, cjson.encode({ error = message }))
end

local function lock()
  for _ = 1, 5000 do
    if dict:add("lock", true, 10) then
      return true
    end
    ngx.sleep(0.001)
  end
  return false
end

local function put(body)
  local doc, derr = cjson.decode(body)
  if doc == nil then
    return refuse(400, "the body is not valid JSON: " .. tostring(derr))
  end
  local set, msg = validate(doc)
  if not set then
    return refuse(400, msg)
  end
  local json, compact = encode(set)
  if not lock() then
    return refuse(503, "another push holds the endpoints lock; retry")
  end
  local ok, status, out = pcall(function()
    local current = dict:get("version") or 0
    if set.version < current then
      return 409, cjson.encode({
        error = "version " .. set.version .. " is older than the applied version " .. current,
        version = current,
      })
    end
    if set.version == current then
      if dict:get(vkey("set/", current)) == json then
        return 200, cjson.encode({ version = current, unchanged = true })
      end
      return 409, cjson.encode({
        error = "version " .. current .. " is already applied with other endpoints; push a newer version",
        version = current,
      })
    end
    local written, serr = store(set, json, compact)
    if not written then
      return 507, cjson.encode({
        error = "the endpoints do not fit the shared dict (" .. tostring(serr) .. "); raise its size",
      })
    end
    -- Written before the version becomes current and is acknowledged: whatever a node answered
    -- 200 for, it loads again after a restart.
    local wok, werr = true, nil
    if write_on_push then
      wok, werr = write_file(file_path, json)
    end
    if not wok then
      drop(set.version, written)
      return 500, cjson.encode({ error = "could not write the endpoints file: " .. tostring(werr) })
    end
    flip(set.version, current)
    local pool_n = 0
    for _ in pairs(set.pools) do
      pool_n = pool_n + 1
    end
    return 200, cjson.encode({ version = set.version, pools = pool_n, endpoints = set.endpoints })
  end)
  dict:delete("lock")
  if not ok then
    ngx.log(ngx.ERR, "berth: applying endpoints failed: ", status)
    return refuse(500, "applying the endpoints failed: " .. tostring(status))
  end
  return reply(status, out)
end

-- content_by_lua of the control server (unix socket only): PUT and GET /endpoints.
function M.control()
  if (ngx.var.server_addr or ""):sub(1, 5) ~= "unix:" then
    return refuse(403, "the endpoints interface answers on its unix socket only")
  end
  local method = ngx.req.get_method()
  if method == "GET" then
    local v = dict:get("version") or 0
    local text = dict:get(vkey("set/", v))
    if text == nil and v > 0 then
      text = dict:get(vkey("set/", dict:get("version")))
    end
    return reply(200, text or '{"version":0,"pools":{}}')
  end
  if method ~= "PUT" then
    ngx.header["Allow"] = "GET, PUT"
    return refuse(405, "use GET or PUT on /endpoints")
  end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local f = ngx.req.get_body_file()
    body = f and read_file(f)
  end
  if not body or body == "" then
    return refuse(400, "the body is empty; send {\"version\": N, \"pools\": {...}}")
  end
  return put(body)
end

return M
