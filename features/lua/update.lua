#!lua flags=allow-cross-slot-keys
-- riskstream feature update: one call per batch (per shard in Redis Cluster).
--
-- For each transaction, in arrival order, reads its features and then records it, so
-- later transactions of the batch see earlier ones. Every write is idempotent by
-- transaction id: a redelivered transaction changes no state.
--
-- ARGV[1]  mode: "events" or "labels"
-- ARGV[2]  the plan, one line per part (features/plan.py, encoded by features/online.py):
--            N  namespace  distinct_cap  first_seen_ttl  lateness
--            E  entity  windows(csv)  retention  ttl  n_attributes
--            B  entity  dedupe  ttl  widths(csv)  keep(csv)  windows  distinct(csv|-)  d_retention
--               windows: width_index:buckets:lag:fraud:sum, joined by ";"
--            F  entity  of
-- ARGV[3]  one line per transaction (events) or fraud label (labels), tab-separated.
-- Keys are built here from the namespace and each entity's hash tag ({card:fp}), so
-- all of an entity's keys share a cluster slot.
--
-- Returns a flat integer array: for each line, each plan part's fixed-width block.

local function fields(line)
  local out, n = {}, 0
  for piece in string.gmatch(line .. '\t', '([^\t]*)\t') do
    n = n + 1
    out[n] = piece
  end
  return out
end

local function csv(text)
  local out = {}
  if text == '-' or text == '' then return out end
  for piece in string.gmatch(text, '[^,]+') do out[#out + 1] = tonumber(piece) end
  return out
end

local NS, CAP, FS_TTL, LATENESS = '', 0, 0, 0
local parts = {}
for line in string.gmatch(ARGV[2], '[^\n]+') do
  local f = fields(line)
  if f[1] == 'N' then
    NS, CAP, FS_TTL, LATENESS = f[2], tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
  elseif f[1] == 'E' then
    local windows = csv(f[3])
    parts[#parts + 1] = {kind = 'E', entity = f[2], windows = windows, scan = windows[#windows],
      retention = tonumber(f[4]), ttl = tonumber(f[5]), na = tonumber(f[6])}
  elseif f[1] == 'B' then
    local wins = {}
    for spec in string.gmatch(f[7], '[^;]+') do
      local w = csv(string.gsub(spec, ':', ','))
      wins[#wins + 1] = {width = w[1], buckets = w[2], lag = w[3], fraud = w[4], sum = w[5]}
    end
    local widths = csv(f[5])
    local sums = {}
    for i = 1, #widths do sums[i] = false end
    for _, w in ipairs(wins) do
      if w.sum == 1 then sums[w.width] = true end
    end
    parts[#parts + 1] = {kind = 'B', entity = f[2], dedupe = tonumber(f[3]), ttl = tonumber(f[4]),
      widths = widths, keep = csv(f[6]), wins = wins, distinct = csv(f[8]),
      dret = tonumber(f[9]), sums = sums}
  elseif f[1] == 'F' then
    parts[#parts + 1] = {kind = 'F', entity = f[2], of = f[3]}
  end
end

local function key(entity, value, suffix)
  return NS .. ':{' .. entity .. ':' .. value .. '}:' .. suffix
end

local out, n_out = {}, 0
local function emit(v)
  n_out = n_out + 1
  out[n_out] = v
end
local function pad(count)
  for _ = 1, count do emit(0) end
end

local ZUNIT, ZCAP = 100, 1000000

-- Exact sliding windows over every kept event of the entity.
local function exact(p, value, t, member)
  local k = key(p.entity, value, 'ev')
  local nw, na = #p.windows, p.na
  local items = redis.call('ZRANGEBYSCORE', k, '(' .. (t - p.scan), t, 'WITHSCORES')
  local count, sum, max, sq, us, seen = {}, {}, {}, {}, {}, {}
  for i = 1, nw do
    count[i], sum[i], max[i], sq[i], us[i] = 0, 0, -1, 0, 0
    seen[i] = {}
    for a = 1, na do seen[i][a] = {n = 0} end
  end
  local last = -1
  for j = 1, #items, 2 do
    local m = items[j]
    if m ~= member then
      local s = tonumber(items[j + 1])
      local bar = string.find(m, '|', 1, true)
      local bar2 = string.find(m, '|', bar + 1, true)
      local amount = tonumber(string.sub(m, bar + 1, (bar2 or 0) - 1))
      local f = nil
      if na > 0 then
        f = {}
        local start = bar2 + 1
        for a = 1, na do
          local stop = string.find(m, '|', start, true)
          f[a] = string.sub(m, start, (stop or 0) - 1)
          start = (stop or #m) + 1
        end
      end
      local u = math.floor(amount / ZUNIT)
      if u > ZCAP then u = ZCAP end
      if s > last then last = s end
      for i = 1, nw do
        if s > t - p.windows[i] then
          count[i] = count[i] + 1
          sum[i] = sum[i] + amount
          if amount > max[i] then max[i] = amount end
          sq[i] = sq[i] + u * u
          us[i] = us[i] + u
          for a = 1, na do
            local v = f[a]
            if v ~= '' and not seen[i][a][v] then
              seen[i][a][v] = true
              seen[i][a].n = seen[i][a].n + 1
            end
          end
        end
      end
    end
  end
  redis.call('ZADD', k, 'NX', t, member)
  redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. (t - p.retention))
  redis.call('PEXPIRE', k, p.ttl)
  emit(last)
  for i = 1, nw do
    emit(count[i]); emit(sum[i]); emit(max[i]); emit(sq[i]); emit(us[i])
    for a = 1, na do emit(seen[i][a].n) end
  end
end

-- Each bucket width has its own hash ('b<width>') with fields c:<bucket>, s:<bucket>,
-- f:<bucket> (count, amount sum, fraud labels). The lowest kept bucket of each width
-- sits in the entity's meta hash ('m', field lo:<width>).
--
-- A hash is read once per call (HGETALL) into a Lua table keyed by bucket number, and
-- every write goes to both: window sums then cost table lookups, not HMGETs of field
-- names built one by one, which matters for a merchant seen many times in a batch.

local buckets_cache = {}
local function buckets(k)
  local cached = buckets_cache[k]
  if cached == nil then
    cached = {c = {}, s = {}, f = {}}
    local flat = redis.call('HGETALL', k)
    for i = 1, #flat, 2 do
      local kind, b = string.match(flat[i], '^([csf]):(%-?%d+)$')
      if kind then cached[kind][tonumber(b)] = tonumber(flat[i + 1]) end
    end
    buckets_cache[k] = cached
  end
  return cached
end

local function bump(k, kind, b, by)
  local cached = buckets(k)
  cached[kind][b] = (cached[kind][b] or 0) + by
  redis.call('HINCRBY', k, kind .. ':' .. b, by)
end

-- Drop buckets below `newlo` (a hash holds at most `keep` buckets).
local function trim(k, newlo)
  local cached = buckets(k)
  for kind, values in pairs(cached) do
    for b in pairs(values) do
      if b < newlo then
        values[b] = nil
        redis.call('HDEL', k, kind .. ':' .. b)
      end
    end
  end
end

local function bucket_sums(k, first, last)
  local cached = buckets(k)
  local cs, ss, fs = cached.c, cached.s, cached.f
  local c, s, f = 0, 0, 0
  for b = first, last do
    c = c + (cs[b] or 0)
    s = s + (ss[b] or 0)
    f = f + (fs[b] or 0)
  end
  return c, s, f
end

local lows_cache = {}
local function lows_of(km, p)
  local lows = lows_cache[km]
  if lows == nil then
    local names = {}
    for i = 1, #p.widths do names[i] = 'lo:' .. p.widths[i] end
    local stored = redis.call('HMGET', km, unpack(names))
    lows = {}
    for i = 1, #p.widths do lows[i] = tonumber(stored[i]) end
    lows_cache[km] = lows
  end
  return lows
end

-- Time-bucketed counters (bounded memory) for hot entities.
local function bucketed(p, value, t, txn, amount, card)
  local kdd, km = key(p.entity, value, 'dd'), key(p.entity, value, 'm')
  local fresh = redis.call('ZADD', kdd, 'NX', t, txn)
  redis.call('ZREMRANGEBYSCORE', kdd, '-inf', '(' .. (t - p.dedupe))
  local keys = {}
  local lows = lows_of(km, p)
  local rolled = false
  for i = 1, #p.widths do
    keys[i] = key(p.entity, value, 'b' .. p.widths[i])
    local newlo = math.floor(t / p.widths[i]) - p.keep[i] + 1
    if lows[i] == nil or newlo > lows[i] then
      if lows[i] ~= nil then trim(keys[i], newlo) end
      redis.call('HSET', km, 'lo:' .. p.widths[i], newlo)
      lows[i] = newlo
      rolled = true
    end
  end
  for _, w in ipairs(p.wins) do
    local width = p.widths[w.width]
    local lastb = math.floor((t - w.lag) / width)
    local c, s, f = bucket_sums(keys[w.width], lastb - w.buckets + 1, lastb)
    emit(c)
    emit(w.sum == 1 and s or 0)
    emit(w.fraud == 1 and f or 0)
  end
  if fresh == 1 then
    for i = 1, #p.widths do
      local b = math.floor(t / p.widths[i])
      if b >= lows[i] then  -- an event older than retention is too late to count
        bump(keys[i], 'c', b, 1)
        if p.sums[i] then bump(keys[i], 's', b, amount) end
      end
    end
  end
  local kdc = key(p.entity, value, 'dc')
  if #p.distinct > 0 then
    for i = 1, #p.distinct do
      emit(redis.call('ZCOUNT', kdc, '(' .. (t - p.distinct[i]), t))
    end
    if fresh == 1 and card ~= '' then
      redis.call('ZADD', kdc, 'GT', t, card)
      redis.call('ZREMRANGEBYSCORE', kdc, '-inf', '(' .. (t - p.dret))
      local n = redis.call('ZCARD', kdc)
      if n > CAP then redis.call('ZREMRANGEBYRANK', kdc, 0, n - CAP - 1) end
    end
  end
  if rolled then
    -- TTLs are refreshed whenever a bucket rolls over: often enough for keys whose
    -- TTL spans the longest window, and far cheaper than on every event.
    redis.call('PEXPIRE', kdd, p.ttl)
    redis.call('PEXPIRE', km, p.ttl)
    for i = 1, #p.widths do redis.call('PEXPIRE', keys[i], p.ttl) end
    if #p.distinct > 0 then redis.call('PEXPIRE', kdc, p.ttl) end
  end
end

-- First time this entity meets this value? The first transaction stays "first" when
-- it is redelivered, because the hash remembers its id.
local function first_seen(p, owner, seen, txn)
  local k = key(p.entity, owner, 'fs')
  local field = p.of .. ':' .. seen
  local new = redis.call('HSETNX', k, field, txn)
  if new == 0 and redis.call('HGET', k, field) == txn then new = 1 end
  redis.call('PEXPIRE', k, FS_TTL)
  emit(new)
end

local function block_width(p)
  if p.kind == 'E' then return 1 + #p.windows * (5 + p.na) end
  if p.kind == 'B' then return 3 * #p.wins + #p.distinct end
  return 1
end

-- A fraud label for one of the entity's transactions: count it once.
local function label(p, value, txn, t)
  local fraud_widths, span = {}, 0
  for _, w in ipairs(p.wins) do
    if w.fraud == 1 then
      fraud_widths[p.widths[w.width]] = true
      local reach = w.buckets * p.widths[w.width] + w.lag
      if reach > span then span = reach end
    end
  end
  if span == 0 then emit(0) return end
  local kfr, km = key(p.entity, value, 'fr'), key(p.entity, value, 'm')
  local fresh = redis.call('ZADD', kfr, 'NX', t, txn)
  local lows = lows_of(km, p)
  for i = 1, #p.widths do
    local width = p.widths[i]
    if fraud_widths[width] then
      local k = key(p.entity, value, 'b' .. width)
      local b = math.floor(t / width)
      if fresh == 1 and (lows[i] == nil or b >= lows[i]) then bump(k, 'f', b, 1) end
      redis.call('PEXPIRE', k, p.ttl)
    end
  end
  local newest = redis.call('ZRANGE', kfr, -1, -1, 'WITHSCORES')
  if newest[2] then
    redis.call('ZREMRANGEBYSCORE', kfr, '-inf', '(' .. (tonumber(newest[2]) - span - LATENESS))
  end
  redis.call('PEXPIRE', kfr, p.ttl)
  emit(fresh)
end

if ARGV[1] == 'labels' then
  -- line: txn  t  then one entity value per B part
  for line in string.gmatch(ARGV[3], '[^\n]+') do
    local f = fields(line)
    local txn, t = f[1], tonumber(f[2])
    local pos = 2
    for _, p in ipairs(parts) do
      if p.kind == 'B' then
        pos = pos + 1
        if f[pos] ~= '' then label(p, f[pos], txn, t) else emit(0) end
      end
    end
  end
  return out
end

-- line: t  txn  amount  card  then per part: E value attrs… | B value | F owner seen
for line in string.gmatch(ARGV[3], '[^\n]+') do
  local f = fields(line)
  local t, txn, amount, card = tonumber(f[1]), f[2], tonumber(f[3]), f[4]
  local pos = 4
  for _, p in ipairs(parts) do
    if p.kind == 'E' then
      local value = f[pos + 1]
      if value ~= '' then
        local member = txn .. '|' .. f[3]
        for a = 1, p.na do member = member .. '|' .. f[pos + 1 + a] end
        exact(p, value, t, member)
      else
        pad(block_width(p))
      end
      pos = pos + 1 + p.na
    elseif p.kind == 'B' then
      local value = f[pos + 1]
      if value ~= '' then bucketed(p, value, t, txn, amount, card) else pad(block_width(p)) end
      pos = pos + 1
    else
      local owner, seen = f[pos + 1], f[pos + 2]
      if owner ~= '' and seen ~= '' then first_seen(p, owner, seen, txn) else emit(0) end
      pos = pos + 2
    end
  end
end
return out
