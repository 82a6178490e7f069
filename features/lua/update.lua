#!lua flags=allow-cross-slot-keys
-- riskstream feature update: one call per batch (per shard in Redis Cluster).
--
-- Reads each event's features and then records the event, op by op, in arrival
-- order, so later events of the batch see earlier ones. Every op is idempotent by
-- transaction id: a redelivered event changes no state.
--
-- ARGV[1] is the number of ops; each op is a record of ARGV fields read with `arg()`.
-- Results are a flat array of integers (-1 for "none"); the caller knows each op's
-- layout from the same StatePlan that built the ops (features/plan.py).

local pos = 1
local function arg()
  pos = pos + 1
  return ARGV[pos]
end
local function num()
  return tonumber(arg())
end

local out = {}
local function emit(v)
  out[#out + 1] = v
end

local function split(text)
  local fields = {}
  for piece in string.gmatch(text .. '|', '([^|]*)|') do
    fields[#fields + 1] = piece
  end
  return fields
end

local ZUNIT, ZCAP = 100, 1000000
local function unit(amount)
  local u = math.floor(amount / ZUNIT)
  if u > ZCAP then u = ZCAP end
  return u
end

-- E: exact sliding windows over every kept event of the entity.
local function op_exact()
  local key = KEYS[num()]
  local t, member, retention, ttl = num(), arg(), num(), num()
  local nw = num()
  local windows = {}
  for i = 1, nw do windows[i] = num() end
  local na = num()
  local scan = windows[nw]
  local items = redis.call('ZRANGEBYSCORE', key, '(' .. (t - scan), t, 'WITHSCORES')
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
      local f = split(m)
      local amount = tonumber(f[2])
      local u = unit(amount)
      if s > last then last = s end
      for i = 1, nw do
        if s > t - windows[i] then
          count[i] = count[i] + 1
          sum[i] = sum[i] + amount
          if amount > max[i] then max[i] = amount end
          sq[i] = sq[i] + u * u
          us[i] = us[i] + u
          for a = 1, na do
            local v = f[2 + a]
            if v ~= nil and v ~= '' and not seen[i][a][v] then
              seen[i][a][v] = true
              seen[i][a].n = seen[i][a].n + 1
            end
          end
        end
      end
    end
  end
  local added = redis.call('ZADD', key, 'NX', t, member)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (t - retention))
  redis.call('PEXPIRE', key, ttl)
  emit(added == 0 and 1 or 0)
  emit(last)
  for i = 1, nw do
    emit(count[i]); emit(sum[i]); emit(max[i]); emit(sq[i]); emit(us[i])
    for a = 1, na do emit(seen[i][a].n) end
  end
end

-- Drop bucket fields that fell out of retention; returns the lowest kept bucket.
local function trim(key, width, bucket, keep)
  local lofield = 'lo:' .. width
  local lo = tonumber(redis.call('HGET', key, lofield))
  local newlo = bucket - keep + 1
  if lo ~= nil and newlo <= lo then return lo end
  if lo ~= nil then
    if newlo - lo <= 4 * keep then
      for b = lo, newlo - 1 do
        redis.call('HDEL', key, 'c:' .. width .. ':' .. b, 's:' .. width .. ':' .. b,
          'f:' .. width .. ':' .. b)
      end
    else  -- a long idle gap: look at the fields instead of every bucket in between
      for _, field in ipairs(redis.call('HKEYS', key)) do
        local w, b = string.match(field, '^[csf]:(%d+):(%-?%d+)$')
        if w == tostring(width) and tonumber(b) < newlo then redis.call('HDEL', key, field) end
      end
    end
  end
  redis.call('HSET', key, lofield, newlo)
  return newlo
end

local function sum_fields(key, prefix, first, last)
  local fields = {}
  for b = first, last do fields[#fields + 1] = prefix .. b end
  local total = 0
  for _, v in ipairs(redis.call('HMGET', key, unpack(fields))) do
    if v then total = total + tonumber(v) end
  end
  return total
end

-- B: time-bucketed counters (bounded memory) for hot entities.
local function op_bucket()
  local kb, kdd, kdc = KEYS[num()], KEYS[num()], num()
  local t, txn, amount, card = num(), arg(), num(), arg()
  local dedupe, ttl = num(), num()
  local nwidth = num()
  local widths, keep = {}, {}
  for i = 1, nwidth do widths[i], keep[i] = num(), num() end
  local nwin = num()
  local wins = {}
  for i = 1, nwin do wins[i] = {width = num(), buckets = num(), lag = num(), fraud = num()} end
  local nd = num()
  local dwins = {}
  for i = 1, nd do dwins[i] = num() end
  local dret, cap = num(), num()

  local fresh = redis.call('ZADD', kdd, 'NX', t, txn)
  redis.call('ZREMRANGEBYSCORE', kdd, '-inf', '(' .. (t - dedupe))
  redis.call('PEXPIRE', kdd, ttl)
  emit(fresh == 0 and 1 or 0)

  local lows = {}
  for i = 1, nwidth do
    lows[i] = trim(kb, widths[i], math.floor(t / widths[i]), keep[i])
  end
  for _, w in ipairs(wins) do
    local width = widths[w.width]
    local lastb = math.floor((t - w.lag) / width)
    local firstb = lastb - w.buckets + 1
    emit(sum_fields(kb, 'c:' .. width .. ':', firstb, lastb))
    emit(sum_fields(kb, 's:' .. width .. ':', firstb, lastb))
    if w.fraud == 1 then
      emit(sum_fields(kb, 'f:' .. width .. ':', firstb, lastb))
    else
      emit(0)
    end
  end
  if fresh == 1 then
    for i = 1, nwidth do
      local b = math.floor(t / widths[i])
      if b >= lows[i] then  -- an event older than retention is too late to count
        redis.call('HINCRBY', kb, 'c:' .. widths[i] .. ':' .. b, 1)
        redis.call('HINCRBY', kb, 's:' .. widths[i] .. ':' .. b, amount)
      end
    end
  end
  redis.call('PEXPIRE', kb, ttl)

  if nd > 0 then
    local key = KEYS[kdc]
    for i = 1, nd do
      emit(redis.call('ZCOUNT', key, '(' .. (t - dwins[i]), t))
    end
    if fresh == 1 and card ~= '' then
      redis.call('ZADD', key, 'GT', t, card)
      redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (t - dret))
      local n = redis.call('ZCARD', key)
      if n > cap then redis.call('ZREMRANGEBYRANK', key, 0, n - cap - 1) end
    end
    redis.call('PEXPIRE', key, ttl)
  end
end

-- F: first time this entity meets this value? The first transaction stays "first"
-- even when it is redelivered, because the hash remembers its id.
local function op_first()
  local key, field, txn, ttl = KEYS[num()], arg(), arg(), num()
  local set = redis.call('HSETNX', key, field, txn)
  local new = set
  if set == 0 and redis.call('HGET', key, field) == txn then new = 1 end
  redis.call('PEXPIRE', key, ttl)
  emit(new)
end

-- L: a fraud label for one of the entity's transactions (count it once).
local function op_label()
  local kb, kfr = KEYS[num()], KEYS[num()]
  local txn, t, ttl, keepms = arg(), num(), num(), num()
  local nwidth = num()
  local fresh = redis.call('ZADD', kfr, 'NX', t, txn)
  for i = 1, nwidth do
    local width = num()
    if fresh == 1 then
      local b = math.floor(t / width)
      local lo = tonumber(redis.call('HGET', kb, 'lo:' .. width))
      if lo == nil or b >= lo then
        redis.call('HINCRBY', kb, 'f:' .. width .. ':' .. b, 1)
      end
    end
  end
  local newest = redis.call('ZRANGE', kfr, -1, -1, 'WITHSCORES')
  if newest[2] then
    redis.call('ZREMRANGEBYSCORE', kfr, '-inf', '(' .. (tonumber(newest[2]) - keepms))
  end
  redis.call('PEXPIRE', kfr, ttl)
  redis.call('PEXPIRE', kb, ttl)
  emit(fresh)
end

local ops = {E = op_exact, B = op_bucket, F = op_first, L = op_label}
local n = tonumber(ARGV[1])
for _ = 1, n do
  local code = arg()
  local op = ops[code]
  if op == nil then
    return redis.error_reply('riskstream features: unknown op ' .. tostring(code))
  end
  op()
end
return out
