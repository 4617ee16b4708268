-- Berth: endpoint sets pushed into a running Nginx without a reload (docs/gateway.md,
-- "Endpoints without reload"). The renderer (src/dynamic-upstreams.ts) inlines this file into
-- init_by_lua_block, so the code is part of the configuration version that nginx -t checked.
--
-- Shared dict keys:
--   "version"    the applied version (written last: a push is acknowledged only after it)
--   "p/<pool>"   a pool's current endpoints, "ADDRESS WEIGHT,..." ("" no endpoints; absent: a
--                pool that no configuration since the last whole set declares)
--   "names"      the pools of the last whole set, one per line (to drop the keys of pools a newer
--                configuration no longer has)
--   "lock"       held while a push is applied
-- Two pushes: PUT /endpoints carries the whole set; PATCH /endpoints carries only the pools that
-- changed since the version the node runs ({"version": N, "base": B, "pools": {...}}: set N is set
-- B with those pools replaced), so an endpoint change costs the node the pools it touches, not
-- every pool of the configuration.
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
local journal_path -- its journal: deltas written ahead of their pushes since the file (or nil)
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
local function validate(doc, skip_unknown, delta)
  if type(doc) ~= "table" then
    return nil, "the body must be a JSON object {\"version\": N, \"pools\": {\"pool\": [{\"address\": \"IPV4:PORT\", \"weight\": N}]}}"
  end
  for k in pairs(doc) do
    if type(k) ~= "string" then
      return nil, "the body must be a JSON object {\"version\": N, \"pools\": {...}}, not an array"
    end
    if k ~= "version" and k ~= "pools" and not (delta and k == "base") then
      return nil, "unknown field \"" .. show(k) .. "\": the body has only version, "
        .. (delta and "base and pools" or "pools (base is PATCH's)")
    end
  end
  if not is_integer(doc.version, 1, MAX_VERSION) then
    return nil, "version must be a positive integer, got " .. show(cjson.encode(doc.version))
  end
  if delta and not (is_integer(doc.base, 1, MAX_VERSION) and doc.base < doc.version) then
    return nil, "base must be the version the changes apply to (a positive integer below version "
      .. string.format("%.0f", doc.version) .. "), got " .. show(cjson.encode(doc.base))
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
  return { version = doc.version, base = doc.base, pools = out, endpoints = total }
end

-- Each pool's compact text ("ADDRESS WEIGHT,..." in the pushed order). Every value is validated
-- (addresses, integers), so plain concatenation is safe.
local function compact_of(set)
  local compact = {}
  for name, list in pairs(set.pools) do
    local cs, m = {}, 0
    for j, e in ipairs(list) do
      cs[m + 1] = j > 1 and "," or ""
      cs[m + 2] = e.address
      cs[m + 3] = " "
      cs[m + 4] = e.weight
      m = m + 4
    end
    compact[name] = table.concat(cs)
  end
  return compact
end

-- The canonical JSON of the current set (declared pools sorted by name, endpoints in the pushed
-- order; a declared pool without endpoints as []): GET /endpoints and the endpoints file. Built
-- from the pools' keys when asked, so a push does not pay for it. One buffer of pieces: no string
-- is built per endpoint.
local function current_json(version)
  local names = {}
  for name in pairs(pools) do
    names[#names + 1] = name
  end
  table.sort(names)
  local js, n = { '{"version":', string.format("%.0f", version), ',"pools":{' }, 3
  for i, name in ipairs(names) do
    js[n + 1] = i > 1 and ',"' or '"'
    js[n + 2] = name
    js[n + 3] = '":['
    n = n + 3
    local j = 0
    for address, weight in (dict:get("p/" .. name) or ""):gmatch("([%d.]+:%d+) (%d+)") do
      js[n + 1] = j > 0 and ',{"address":"' or '{"address":"'
      js[n + 2] = address
      js[n + 3] = '","weight":'
      js[n + 4] = weight
      js[n + 5] = "}"
      n = n + 5
      j = j + 1
    end
    js[n + 1] = "]"
    n = n + 1
  end
  js[n + 1] = "}}"
  return table.concat(js)
end

-- Writes pools' texts in place (not yet acknowledged: "version" moves after). With `whole`, every
-- declared pool gets a key (a declared pool absent from the set has none: "") and the keys of
-- pools the last whole set had and this configuration does not are dropped (a reload's old
-- workers then keep the endpoints they have; see endpoints()). safe_set: a full dict refuses
-- instead of evicting another pool's key. Returns true, or nil and the error after putting back
-- what it changed.
local function store(compact, whole)
  if whole then
    for name in pairs(pools) do
      if compact[name] == nil then
        compact[name] = ""
      end
    end
  end
  local previous = {}
  for name, text in pairs(compact) do
    local key = "p/" .. name
    previous[key] = dict:get(key) or false
    local ok, err = dict:safe_set(key, text)
    if not ok then
      for k, old in pairs(previous) do
        if old then
          dict:set(k, old)
        else
          dict:delete(k)
        end
      end
      return nil, err
    end
  end
  if whole then
    for name in (dict:get("names") or ""):gmatch("[^\n]+") do
      if not pools[name] then
        dict:delete("p/" .. name)
      end
    end
    local names = {}
    for name in pairs(pools) do
      names[#names + 1] = name
    end
    dict:safe_set("names", table.concat(names, "\n"))
  end
  return true
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

-- Loads the endpoints file into the shared dict when it is newer than what the dict holds, then
-- the journal's deltas that follow it. Runs in the master (init_by_lua) before any worker exists:
-- on a start the dict is empty, so the first request of a restarted node already sees the last
-- acknowledged set; on a reload the dict survives and an older file or delta is ignored.
local function load_file()
  local current = dict:get("version") or 0
  local text = read_file(file_path)
  if text then
    local doc, err = cjson.decode(text)
    -- a reload: the dict survived and already holds this version (or a newer one); validating
    -- 10,000 pools again would only slow the master's reload
    if not (type(doc) == "table" and type(doc.version) == "number" and doc.version <= current) then
      local set, msg
      if doc then
        set, msg = validate(doc, true)
      else
        msg = "not JSON: " .. tostring(err)
      end
      if not set then
        -- the journal's deltas start from this file: none of them applies either
        ngx.log(ngx.ERR, "berth: ignoring the endpoints file ", file_path, ": ", msg)
        return
      end
      local ok, serr = store(compact_of(set), true)
      if not ok then
        ngx.log(ngx.ERR, "berth: the endpoints file does not fit the shared dict: ", serr)
        return
      end
      current = set.version
      dict:set("version", current)
    end
  end
  local journal = journal_path and read_file(journal_path)
  if not journal then
    return
  end
  -- each line a delta from the version before it; versions the dict holds are skipped, and the
  -- first line that does not follow (a torn last line, a gap) ends the journal
  for line in journal:gmatch("[^\n]+") do
    local doc = cjson.decode(line)
    if type(doc) ~= "table" or type(doc.version) ~= "number" then
      break
    end
    if doc.version > current then
      if doc.base ~= current then
        break
      end
      local set, msg = validate(doc, true, true)
      if not set then
        ngx.log(ngx.ERR, "berth: ignoring the endpoints journal ", journal_path, " from version ", current, ": ", msg)
        break
      end
      local ok, serr = store(compact_of(set), false)
      if not ok then
        ngx.log(ngx.ERR, "berth: the endpoints journal does not fit the shared dict: ", serr)
        break
      end
      current = set.version
      dict:set("version", current)
    end
  end
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
  journal_path = opts.journal and ngx.config.prefix() .. opts.journal
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
  local text = dict:get("p/" .. pool)
  if text == nil then
    -- No key for this pool: a newer configuration dropped it, and this worker still
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

-- True when every pool of `compact` (and, for a whole set, every declared pool) already has
-- that text: the same version pushed again.
local function same_as_stored(compact, whole)
  if whole then
    for name in pairs(pools) do
      if (dict:get("p/" .. name) or "") ~= (compact[name] or "") then
        return false
      end
    end
  end
  for name, text in pairs(compact) do
    if (dict:get("p/" .. name) or "") ~= text then
      return false
    end
  end
  return true
end

-- Applies a validated set under the lock: a whole set (PUT) or the changed pools against its
-- base (PATCH). Returns the status and the JSON answer.
local function apply(set, whole)
  local current = dict:get("version") or 0
  if set.version < current then
    return 409, cjson.encode({
      error = "version " .. set.version .. " is older than the applied version " .. current,
      version = current,
    })
  end
  local compact = compact_of(set)
  if set.version == current then
    if same_as_stored(compact, whole) then
      return 200, cjson.encode({ version = current, unchanged = true })
    end
    return 409, cjson.encode({
      error = "version " .. current .. " is already applied with other endpoints; push a newer version",
      version = current,
    })
  end
  if not whole and set.base ~= current then
    return 409, cjson.encode({
      error = "base " .. string.format("%.0f", set.base) .. " is not the applied version " .. current
        .. "; send the whole set (PUT /endpoints)",
      version = current,
      base = false,
    })
  end
  -- Written before the version moves and is acknowledged: whatever a node answered 200 for, it
  -- loads again after a restart (the agent writes the file itself first: fileWriter "agent").
  local ok, serr = store(compact, whole)
  if not ok then
    return 507, cjson.encode({
      error = "the endpoints do not fit the shared dict (" .. tostring(serr) .. "); raise its size",
    })
  end
  if write_on_push then
    local wok, werr = write_file(file_path, current_json(set.version))
    if not wok then
      -- the texts stay (the next push overwrites them); the version does not move
      return 500, cjson.encode({ error = "could not write the endpoints file: " .. tostring(werr) })
    end
    -- the whole set is newer than any delta an agent journaled before it
    if journal_path then
      os.remove(journal_path)
    end
  end
  dict:set("version", set.version)
  local pool_n = 0
  for _ in pairs(set.pools) do
    pool_n = pool_n + 1
  end
  return 200, cjson.encode({ version = set.version, pools = pool_n, endpoints = set.endpoints })
end

local function push(body, whole)
  local doc, derr = cjson.decode(body)
  if doc == nil then
    return refuse(400, "the body is not valid JSON: " .. tostring(derr))
  end
  local set, msg = validate(doc, false, not whole)
  if not set then
    return refuse(400, msg)
  end
  if not lock() then
    return refuse(503, "another push holds the endpoints lock; retry")
  end
  local ok, status, out = pcall(apply, set, whole)
  dict:delete("lock")
  if not ok then
    ngx.log(ngx.ERR, "berth: applying endpoints failed: ", status)
    return refuse(500, "applying the endpoints failed: " .. tostring(status))
  end
  return reply(status, out)
end

-- content_by_lua of the control server (unix socket only): GET, PUT and PATCH /endpoints.
function M.control()
  if (ngx.var.server_addr or ""):sub(1, 5) ~= "unix:" then
    return refuse(403, "the endpoints interface answers on its unix socket only")
  end
  local method = ngx.req.get_method()
  if method == "GET" then
    local v = dict:get("version") or 0
    if v == 0 then
      return reply(200, '{"version":0,"pools":{}}')
    end
    if ngx.var.arg_pools == "0" then
      return reply(200, '{"version":' .. string.format("%.0f", v) .. "}")
    end
    return reply(200, current_json(v))
  end
  if method ~= "PUT" and method ~= "PATCH" then
    ngx.header["Allow"] = "GET, PUT, PATCH"
    return refuse(405, "use GET, PUT or PATCH on /endpoints")
  end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local f = ngx.req.get_body_file()
    body = f and read_file(f)
  end
  if not body or body == "" then
    return refuse(400, method == "PUT" and "the body is empty; send {\"version\": N, \"pools\": {...}}"
      or "the body is empty; send {\"version\": N, \"base\": B, \"pools\": {...}}")
  end
  return push(body, method == "PUT")
end

return M
