#!lua flags=allow-cross-slot-keys
-- riskstream feature update: one call per batch, on one Redis server. Keys are hash-
-- tagged per entity, but Redis Cluster is not supported yet (docs/scaling.md).
--
-- For each transaction, in arrival order, reads its features and then records it, so
-- later transactions of the batch see earlier ones. Every write is idempotent by
-- transaction id: a redelivered transaction changes no state.
--
-- ARGV[1]  mode: "events" or "labels"
-- ARGV[2]  the plan, one line per part (features/plan.py, encoded by features/online.py):
--            N  namespace  distinct_cap  lateness
--            E  entity  windows(csv)  retention  ttl  n_attributes  maxima  profiles
--            B  entity  dedupe  ttl  widths(csv)  keep(csv)  windows  distinct(csv|-)  d_retention
--               windows: width_index:buckets:lag:fraud:sum, joined by ";"
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

local NS, CAP, LATENESS = '', 0, 0
local parts = {}
for line in string.gmatch(ARGV[2], '[^\n]+') do
  local f = fields(line)
  if f[1] == 'N' then
    NS, CAP, LATENESS = f[2], tonumber(f[3]), tonumber(f[4])
  elseif f[1] == 'E' then
    local windows = csv(f[3])
    parts[#parts + 1] = {kind = 'E', entity = f[2], windows = windows, scan = windows[#windows],
      retention = tonumber(f[4]), ttl = tonumber(f[5]), na = tonumber(f[6]),
      maxima = f[7] == '1', profiles = f[8] == '1'}
  elseif f[1] == 'B' then
    local wins = {}
    for spec in string.gmatch(f[7] == '-' and '' or f[7], '[^;]+') do
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

-- An exact entity keeps every event of its retention window in one string key
-- ('ev'), a MessagePack array of {time, transaction id, amount, attributes...}. It is
-- read once per call, updated in Lua tables and written back once at the end.

local events_cache = {}
local function event_state(k, ttl)
  local st = events_cache[k]
  if st == nil then
    local raw = redis.call('GET', k)
    st = {items = raw and cmsgpack.unpack(raw) or {}, changed = false, ttl = ttl}
    events_cache[k] = st
  end
  return st
end

-- Exact sliding windows over every kept event of the entity.
local function exact(p, value, t, txn, amount, own)
  local st = event_state(key(p.entity, value, 'ev'), p.ttl)
  local windows, nw, na = p.windows, #p.windows, p.na
  local maxima, profiles = p.maxima, p.profiles
  local count, sum, max, sq, us = {}, {}, {}, {}, {}
  for i = 1, nw do count[i], sum[i], max[i], sq[i], us[i] = 0, 0, -1, 0, 0 end
  -- per attribute: value -> latest time it was seen in the scan
  local latest = {}
  for a = 1, na do latest[a] = {} end
  local last, present = -1, false
  local oldest = t - p.retention
  local from = t - p.scan
  local kept, n_kept = {}, 0
  for _, item in ipairs(st.items) do
    local s = item[1]
    if s >= oldest then
      n_kept = n_kept + 1
      kept[n_kept] = item
    end
    if item[2] == txn then
      present = true
    elseif s > from and s <= t then
      local amt = item[3]
      local u = 0
      if profiles then
        u = math.floor(amt / ZUNIT)
        if u > ZCAP then u = ZCAP end
      end
      if s > last then last = s end
      for i = 1, nw do
        if s > t - windows[i] then
          count[i] = count[i] + 1
          sum[i] = sum[i] + amt
          if maxima and amt > max[i] then max[i] = amt end
          if profiles then
            sq[i] = sq[i] + u * u
            us[i] = us[i] + u
          end
        end
      end
      for a = 1, na do
        local v = item[3 + a]
        if v ~= '' then
          local seen = latest[a][v]
          if seen == nil or s > seen then latest[a][v] = s end
        end
      end
    end
  end
  if not present then
    local item = {t, txn, amount}
    for a = 1, na do item[3 + a] = own[a] end
    n_kept = n_kept + 1
    kept[n_kept] = item
  end
  if not present or n_kept ~= #st.items then
    st.items = kept
    st.changed = true
  end
  emit(last)
  for a = 1, na do  -- was this event's own value already seen in the scan window?
    emit((own[a] ~= '' and latest[a][own[a]] ~= nil) and 1 or 0)
  end
  for i = 1, nw do
    emit(count[i]); emit(sum[i])
    if maxima then emit(max[i]) end
    if profiles then emit(sq[i]); emit(us[i]) end
    local cut = t - windows[i]
    for a = 1, na do
      local n = 0
      for _, s in pairs(latest[a]) do
        if s > cut then n = n + 1 end
      end
      emit(n)
    end
  end
end

-- A bucketed entity keeps its counters in one string key ('b'), a MessagePack map
--   {lo = {[width] = lowest kept bucket}, d = {[width] = {c = {}, s = {}, f = {}}}}
-- where c, s and f map bucket numbers to counts, amount sums and fraud labels.
--
-- It is read once per call into Lua tables and written back once at the end (the
-- script is atomic, so this is the same state as writing through). Unpacking in C
-- costs far less than parsing hash field names in Lua, and a merchant seen fifty
-- times in a batch costs one read and one write.

local states = {}
local function bucket_state(k, ttl)
  local h = states[k]
  if h == nil then
    local raw = redis.call('GET', k)
    local decoded = raw and cmsgpack.unpack(raw) or {}
    h = {lo = decoded.lo or {}, data = decoded.d or {}, changed = false, ttl = ttl}
    states[k] = h
  end
  return h
end

local function series(h, width)
  local d = h.data[width]
  if d == nil then
    d = {c = {}, s = {}, f = {}}
    h.data[width] = d
  end
  return d
end

local function bump(h, width, kind, b, by)
  local values = series(h, width)[kind]
  values[b] = (values[b] or 0) + by
  h.changed = true
end

-- Move the lowest kept bucket of `width` up to `newlo`, dropping older buckets.
local function roll(h, width, newlo)
  for _, values in pairs(series(h, width)) do
    for b in pairs(values) do
      if b < newlo then values[b] = nil end
    end
  end
  h.lo[width] = newlo
  h.changed = true
end

local function bucket_sums(h, width, first, last)
  local d = series(h, width)
  local cs, ss, fs = d.c, d.s, d.f
  local c, s, f = 0, 0, 0
  for b = first, last do
    c = c + (cs[b] or 0)
    s = s + (ss[b] or 0)
    f = f + (fs[b] or 0)
  end
  return c, s, f
end

local expire_later = {}  -- key -> ttl, applied with the final write-back

-- Time-bucketed counters (bounded memory) for hot entities.
local function bucketed(p, value, t, txn, amount, card)
  local kb, kdd = key(p.entity, value, 'b'), key(p.entity, value, 'dd')
  local fresh = redis.call('ZADD', kdd, 'NX', t, txn)
  local h = bucket_state(kb, p.ttl)
  local rolled = false
  for i = 1, #p.widths do
    local width = p.widths[i]
    local newlo = math.floor(t / width) - p.keep[i] + 1
    local lo = h.lo[width]
    if lo == nil or newlo > lo then
      roll(h, width, newlo)
      rolled = true
    end
  end
  for _, w in ipairs(p.wins) do
    local width = p.widths[w.width]
    local lastb = math.floor((t - w.lag) / width)
    local c, s, f = bucket_sums(h, width, lastb - w.buckets + 1, lastb)
    emit(c)
    emit(w.sum == 1 and s or 0)
    emit(w.fraud == 1 and f or 0)
  end
  if fresh == 1 then
    for i = 1, #p.widths do
      local width = p.widths[i]
      local b = math.floor(t / width)
      if b >= h.lo[width] then  -- an event older than retention is too late to count
        bump(h, width, 'c', b, 1)
        if p.sums[i] then bump(h, width, 's', b, amount) end
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
    -- Old transaction ids are pruned and TTLs refreshed whenever a bucket rolls over:
    -- often enough for a horizon and TTLs far longer than a bucket, and far cheaper
    -- than on every event of a hot entity.
    redis.call('ZREMRANGEBYSCORE', kdd, '-inf', '(' .. (t - p.dedupe))
    expire_later[kdd] = p.ttl
    if #p.distinct > 0 then expire_later[kdc] = p.ttl end
  end
end

local function write_back()
  for k, st in pairs(events_cache) do
    if st.changed then
      if #st.items > 0 then
        redis.call('SET', k, cmsgpack.pack(st.items), 'PX', st.ttl)
      else
        redis.call('DEL', k)
      end
    end
  end
  for k, h in pairs(states) do
    if h.changed then
      redis.call('SET', k, cmsgpack.pack({lo = h.lo, d = h.data}), 'PX', h.ttl)
    end
  end
  for k, ttl in pairs(expire_later) do redis.call('PEXPIRE', k, ttl) end
end

local function block_width(p)
  if p.kind == 'E' then
    local stride = 2 + (p.maxima and 1 or 0) + (p.profiles and 2 or 0) + p.na
    return 1 + p.na + #p.windows * stride
  end
  return 3 * #p.wins + #p.distinct
end

-- A fraud label for one of the entity's transactions: count it once.
local function label(p, value, txn, t)
  local span = 0
  for _, w in ipairs(p.wins) do
    if w.fraud == 1 then
      local reach = w.buckets * p.widths[w.width] + w.lag
      if reach > span then span = reach end
    end
  end
  if span == 0 then emit(0) return end
  local kfr, kb = key(p.entity, value, 'fr'), key(p.entity, value, 'b')
  local fresh = redis.call('ZADD', kfr, 'NX', t, txn)
  local h = bucket_state(kb, p.ttl)
  local counted = {}
  for _, w in ipairs(p.wins) do
    local width = p.widths[w.width]
    if w.fraud == 1 and not counted[width] then
      counted[width] = true
      local b = math.floor(t / width)
      local lo = h.lo[width]
      if fresh == 1 and (lo == nil or b >= lo) then bump(h, width, 'f', b, 1) end
    end
  end
  local newest = redis.call('ZRANGE', kfr, -1, -1, 'WITHSCORES')
  if newest[2] then
    redis.call('ZREMRANGEBYSCORE', kfr, '-inf', '(' .. (tonumber(newest[2]) - span - LATENESS))
  end
  expire_later[kfr] = p.ttl
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
  write_back()
  return out
end

-- line: t  txn  amount  card  then per part: E value attrs… | B value
for line in string.gmatch(ARGV[3], '[^\n]+') do
  local f = fields(line)
  local t, txn, amount, card = tonumber(f[1]), f[2], tonumber(f[3]), f[4]
  local pos = 4
  for _, p in ipairs(parts) do
    if p.kind == 'E' then
      local value = f[pos + 1]
      if value ~= '' then
        local own = {}
        for a = 1, p.na do own[a] = f[pos + 1 + a] end
        exact(p, value, t, txn, amount, own)
      else
        pad(block_width(p))
      end
      pos = pos + 1 + p.na
    else
      local value = f[pos + 1]
      if value ~= '' then bucketed(p, value, t, txn, amount, card) else pad(block_width(p)) end
      pos = pos + 1
    end
  end
end
write_back()
return out
