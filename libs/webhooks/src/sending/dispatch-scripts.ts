/**
 * The scheduler's atomic steps, as Redis Lua scripts (one round trip each, never interleaved with another
 * worker's). Every key starts with the queue's prefix (ARGV[1], e.g. `{hookline}:webhooks:dispatch:`), so with a
 * hash-tagged prefix they all live in one slot of a Redis Cluster; KEYS[1] (the tracked set) routes the call.
 *
 * Keys, `L` being the lane (`f` first attempts, `r` retries):
 * - `tracked` SET: every delivery the scheduler holds (waiting or leased); the sweeper leaves these alone.
 * - `L:q:<sub>` LIST: the endpoint's due deliveries in that lane, oldest first.
 * - `L:tenants` LIST: the ring of tenants with an endpoint in turn; `L:eps:<tenant>` LIST: that tenant's ring of
 *   endpoints in turn. `L:ringed` / `L:tenants-ringed` SETs keep each in its ring once.
 * - `ep:<sub>` HASH: limits (cap, rate), rate tokens, pausedUntil, breaker (open/half + since/until/probeUntil),
 *   timeoutsInRow. `win:<sub>` HASH: the breaker's sliding window in six buckets.
 * - `inflight:<sub>` ZSET: the endpoint's taken places, claims not yet answered by their receiver, by lease
 *   expiry; `leases` ZSET: all claims' leases (member lane..sub..delivery..tenant), so expired ones are found
 *   without knowing their endpoint. A claim gives its endpoint's place back once the answer is in (REPORT, or
 *   RELEASE after a breaker decision), and ends once the attempt is recorded (END).
 * - `claims` HASH: delivery → its claim's record: state (`h` handed out or being sent, `a` answered and being
 *   recorded), lease (a number from `seq`), `:`, the claiming process's id (36 characters), lane, sub, tenant.
 *   Callers name a claim by delivery and lease alone. `owned` HASH: process..lane → the claims it took that are
 *   not answered yet, wherever they are being sent (what its places count).
 * - `parked` ZSET: endpoints out of turn until a time (pause, open breaker, rate), member lane..sub..tenant;
 *   `capwait:<sub>` SET: lanes (lane..tenant) out of turn until one of the endpoint's sends ends.
 * - `again` HASH: delivery → lane..sub..tenant, handed over again while its claim was not over.
 * - `paused` ZSET, `breakers` HASH, `capped` SET: figures for metrics.
 * Ids are UUIDs (36 characters), so members are split by position; the host's tenant is ''.
 */

const PRELUDE = `
local b = ARGV[1]
-- Lua's unpack takes a bounded number of values, so a variadic command over a list goes in chunks (of an even
-- size: pairs stay whole); answers the sum of the chunks' answers.
local CHUNK = 1000
local function each(command, key, list)
  local sum = 0
  for i = 1, #list, CHUNK do
    sum = sum + redis.call(command, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
  return sum
end
-- One answer per element of list (HMGET, SMISMEMBER).
local function lookup(command, key, list)
  local out = {}
  for i = 1, #list, CHUNK do
    for _, v in ipairs(redis.call(command, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))) do out[#out + 1] = v end
  end
  return out
end
local function ring(lane, sub, tenant)
  if redis.call('SADD', b .. lane .. ':ringed', sub) == 1 then
    redis.call('RPUSH', b .. lane .. ':eps:' .. tenant, sub)
    if redis.call('SADD', b .. lane .. ':tenants-ringed', tenant) == 1 then
      redis.call('RPUSH', b .. lane .. ':tenants', tenant)
    end
  end
end
local function wakeCapWaiters(sub)
  local key = b .. 'capwait:' .. sub
  local waiters = redis.call('SMEMBERS', key)
  if #waiters > 0 then
    redis.call('DEL', key)
    redis.call('SREM', b .. 'capped', sub)
    for _, w in ipairs(waiters) do ring(w:sub(1, 1), sub, w:sub(2)) end
  end
end
-- A claim record, read (see \`claims\`).
local function claimOf(record)
  local colon = record:find(':', 2, true)
  local dash = record:find('-', 2, true)
  if colon == 38 and dash and dash < colon then
    -- Written before records kept lane, endpoint and tenant (state, process, ':', number): only the expiry of its
    -- lease, which names them, reads it.
    return { record = record, state = record:sub(1, 1), lease = record:sub(2), owner = record:sub(2, 37) }
  end
  return {
    record = record, state = record:sub(1, 1), lease = record:sub(2, colon - 1), owner = record:sub(colon + 1, colon + 36),
    lane = record:sub(colon + 37, colon + 37), sub = record:sub(colon + 38, colon + 73), tenant = record:sub(colon + 74),
  }
end
-- The process that made claim c gets its place back.
local function giveBack(c)
  local owned = c.owner .. c.lane
  if redis.call('HINCRBY', b .. 'owned', owned, -1) <= 0 then redis.call('HDEL', b .. 'owned', owned) end
end
-- A send is over: its endpoint's place is free, and lanes waiting for one are woken.
local function freePlace(sub, did)
  if redis.call('ZREM', b .. 'inflight:' .. sub, did) == 1 then wakeCapWaiters(sub) end
end
-- Claim c of delivery did is over: its endpoint's place and its process's are free, unless its answer gave them
-- back already.
local function placesBack(did, c)
  if c.state ~= 'a' then
    freePlace(c.sub, did)
    giveBack(c)
  end
end
-- Claims whose receivers answered: answered() notes each, settleAnswered() then frees their endpoints' places and
-- their processes' and marks them answered (they are recorded next), endpoint by endpoint.
local answeredBySub, answeredSubs, answeredRecords, givenBack, givers = {}, {}, {}, {}, {}
local function answered(did, c)
  if c.state == 'a' then return end
  local sub = c.sub
  if not answeredBySub[sub] then
    answeredBySub[sub] = {}
    answeredSubs[#answeredSubs + 1] = sub
  end
  table.insert(answeredBySub[sub], did)
  answeredRecords[#answeredRecords + 1] = did
  answeredRecords[#answeredRecords + 1] = 'a' .. c.record:sub(2)
  local owner = c.owner .. c.lane
  if not givenBack[owner] then
    givenBack[owner] = 0
    givers[#givers + 1] = owner
  end
  givenBack[owner] = givenBack[owner] + 1
end
local function settleAnswered()
  for _, sub in ipairs(answeredSubs) do
    if each('ZREM', b .. 'inflight:' .. sub, answeredBySub[sub]) > 0 then wakeCapWaiters(sub) end
  end
  each('HSET', b .. 'claims', answeredRecords)
  for _, owner in ipairs(givers) do
    if redis.call('HINCRBY', b .. 'owned', owner, -givenBack[owner]) <= 0 then redis.call('HDEL', b .. 'owned', owner) end
  end
end
-- The deliveries join their endpoint's lane, which is put in turn unless it is out of turn already (woken then).
local function enqueue(lane, sub, tenant, dids)
  each('RPUSH', b .. lane .. ':q:' .. sub, dids)
  if redis.call('SISMEMBER', b .. 'capwait:' .. sub, lane .. tenant) == 0
    and not redis.call('ZSCORE', b .. 'parked', lane .. sub .. tenant) then
    ring(lane, sub, tenant)
  end
end
-- The claims a script names (delivery, lease, then \`stride\` - 2 more arguments each, from ARGV[from]) that are
-- still current, by position (false for the others); a delivery named twice counts once.
local function currentClaims(from, stride)
  local dids = {}
  for i = from, #ARGV, stride do dids[#dids + 1] = ARGV[i] end
  local records, seen, out = lookup('HMGET', b .. 'claims', dids), {}, {}
  for k, did in ipairs(dids) do
    local c = records[k] and claimOf(records[k])
    if c and c.lease == ARGV[from + (k - 1) * stride + 1] and not seen[did] then
      seen[did] = true
      out[k] = c
    else
      out[k] = false
    end
  end
  return out
end
`;

/**
 * ARGV: prefix, lane, then (delivery, subscription, tenant) triples. Adds each delivery not yet held to its
 * endpoint's lane and puts the endpoint in turn, unless it is out of turn already (it is woken then); one whose
 * claim is not over is marked to join its lane again when the claim ends (see END). Publishes
 * how many it added on the `submitted` channel, which wakes the workers.
 */
export const SUBMIT_SCRIPT = `${PRELUDE}
local lane = ARGV[2]
local dids = {}
for i = 3, #ARGV, 3 do dids[#dids + 1] = ARGV[i] end
local held = lookup('SMISMEMBER', KEYS[1], dids)
-- The deliveries not yet held, by endpoint (in the order endpoints first appear).
local added, bySub, subs, seen = {}, {}, {}, {}
for k, did in ipairs(dids) do
  local i = 3 + (k - 1) * 3
  local sub = ARGV[i + 1]
  if held[k] == 0 and not seen[did] then
    seen[did] = true
    added[#added + 1] = did
    if not bySub[sub] then
      bySub[sub] = {}
      subs[#subs + 1] = i
    end
    table.insert(bySub[sub], did)
  elseif held[k] == 1 and redis.call('HEXISTS', b .. 'claims', did) == 1 then
    -- Its claim may have read the delivery before this hand-over: it joins the lane again when the claim ends.
    redis.call('HSET', b .. 'again', did, lane .. sub .. ARGV[i + 2])
  end
end
each('SADD', KEYS[1], added)
for _, i in ipairs(subs) do enqueue(lane, ARGV[i + 1], ARGV[i + 2], bySub[ARGV[i + 1]]) end
if #added > 0 then redis.call('PUBLISH', b .. 'submitted', #added) end
return #added
`;

/**
 * ARGV: prefix, now, leaseMs, placesFirst, placesRetry, defaultCap, maxSteps, process, most, reserve. Returns flat
 * (lane, delivery, sub, tenant, lease) quintuples. First gives expired leases' deliveries back to their lanes and
 * puts parked endpoints whose time came back in turn; then per lane, up to the process's places less its claims
 * not answered, and up to `most` claims in all (`reserve` of them kept for retries until they had their turn), takes
 * turns: a tenant, its next endpoint, its share of the round (what is left of it split evenly over the tenants in
 * turn and the tenant's endpoints in turn, rounded up).
 */
export const CLAIM_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
local defaultCap = tonumber(ARGV[6])
local maxSteps = tonumber(ARGV[7])
-- Bounds one turn's claims.
local MOST_PER_TURN = 500
local owner = ARGV[8]

for _, m in ipairs(redis.call('ZRANGEBYSCORE', b .. 'leases', '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', b .. 'leases', m)
  local lane, sub, did, tenant = m:sub(1, 1), m:sub(2, 37), m:sub(38, 73), m:sub(74)
  local record = redis.call('HGET', b .. 'claims', did)
  if record then
    redis.call('HDEL', b .. 'again', did)
    redis.call('LPUSH', b .. lane .. ':q:' .. sub, did)
    ring(lane, sub, tenant)
    local c = claimOf(record)
    c.lane, c.sub = lane, sub
    redis.call('HDEL', b .. 'claims', did)
    placesBack(did, c)
  end
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', b .. 'parked', '-inf', now, 'LIMIT', 0, 200)) do
  redis.call('ZREM', b .. 'parked', m)
  ring(m:sub(1, 1), m:sub(2, 37), m:sub(38))
end

-- 'go' with how many of \`share\` may go now, 'wait' (at its cap: back in turn when a send ends) or 'park' (0 go)
-- with the time it may go again.
local function verdict(sub, share)
  local ep = b .. 'ep:' .. sub
  local s = redis.call('HMGET', ep, 'cap', 'rate', 'tokens', 'tokensAt', 'pausedUntil', 'breaker', 'breakerUntil', 'probeUntil')
  local pausedUntil = tonumber(s[5])
  if pausedUntil and pausedUntil > now then return 'park', 0, pausedUntil end
  local breaker = s[6]
  if breaker == 'open' then
    local u = tonumber(s[7]) or 0
    if u > now then return 'park', 0, u end
    redis.call('HSET', ep, 'breaker', 'half', 'breakerSince', u)
    redis.call('HSET', b .. 'breakers', sub, 'half')
    breaker = 'half'
  end
  if breaker == 'half' then
    local probe = tonumber(s[8])
    if probe and probe > now then return 'wait' end
    -- One probe at a time.
    share = 1
  end
  local cap = tonumber(s[1]) or defaultCap
  local free = cap - redis.call('ZCARD', b .. 'inflight:' .. sub)
  if free <= 0 then return 'wait' end
  local n = math.min(share, free)
  local rate = tonumber(s[2])
  if rate then
    local burst = math.max(1, rate / 4)
    local tokens = tonumber(s[3]) or burst
    local at = tonumber(s[4]) or now
    tokens = math.min(burst, tokens + (now - at) * rate / 1000)
    if tokens < 1 then return 'park', 0, now + math.ceil((1 - tokens) * 1000 / rate) end
    n = math.min(n, math.floor(tokens))
    redis.call('HSET', ep, 'tokens', tostring(tokens - n), 'tokensAt', now)
  end
  if breaker == 'half' then redis.call('HSET', ep, 'probeUntil', now + leaseMs) end
  return 'go', n
end

local out = {}
local most = tonumber(ARGV[9])
local reserve = tonumber(ARGV[10])
local want = {
  f = tonumber(ARGV[4]) - (tonumber(redis.call('HGET', b .. 'owned', owner .. 'f')) or 0),
  r = tonumber(ARGV[5]) - (tonumber(redis.call('HGET', b .. 'owned', owner .. 'r')) or 0),
}
-- First attempts leave the reserve of the round's most to retries, then take what retries left.
local passes = { { 'f', most - reserve }, { 'r', most }, { 'f', most } }
local steps = 0
local total = 0
-- The round's claims, recorded together at its end: their leases and records, and how many each lane took.
local seq = tonumber(redis.call('GET', b .. 'seq')) or 0
local expires = now + leaseMs
local leases, records, taken = {}, {}, { f = 0, r = 0 }
for _, pass in ipairs(passes) do
  local lane = pass[1]
  local tenants = b .. lane .. ':tenants'
  while want[lane] > 0 and total < pass[2] and steps < maxSteps do
    steps = steps + 1
    local tenant = redis.call('LPOP', tenants)
    if not tenant then break end
    local eps = b .. lane .. ':eps:' .. tenant
    local sub = redis.call('LPOP', eps)
    local otherEps = redis.call('LLEN', eps)
    if sub then
      local q = b .. lane .. ':q:' .. sub
      local waiting = redis.call('LLEN', q)
      local v, n, untilMs = 'go', 0, nil
      if waiting > 0 then
        -- The turn's share: what is left of the round, split evenly over the tenants in turn and this tenant's
        -- endpoints in turn (rounded up), so a lone endpoint takes its deliveries in one turn and a crowded ring
        -- one each.
        local left = math.min(want[lane], pass[2] - total)
        local share = math.ceil(left / ((redis.call('LLEN', tenants) + 1) * (otherEps + 1)))
        v, n, untilMs = verdict(sub, math.min(waiting, share, MOST_PER_TURN))
      end
      if v == 'go' then
        if n > 0 then
          local dids = redis.call('LPOP', q, n)
          local inflight = {}
          for _, did in ipairs(dids) do
            seq = seq + 1
            local lease = string.format('%d', seq)
            inflight[#inflight + 1] = expires
            inflight[#inflight + 1] = did
            leases[#leases + 1] = expires
            leases[#leases + 1] = lane .. sub .. did .. tenant
            records[#records + 1] = did
            records[#records + 1] = 'h' .. lease .. ':' .. owner .. lane .. sub .. tenant
            out[#out + 1] = lane
            out[#out + 1] = did
            out[#out + 1] = sub
            out[#out + 1] = tenant
            out[#out + 1] = lease
          end
          each('ZADD', b .. 'inflight:' .. sub, inflight)
          taken[lane] = taken[lane] + #dids
          want[lane] = want[lane] - #dids
          total = total + #dids
        end
        if waiting > n then
          redis.call('RPUSH', eps, sub)
          otherEps = otherEps + 1
        else
          redis.call('SREM', b .. lane .. ':ringed', sub)
        end
      elseif v == 'wait' then
        redis.call('SREM', b .. lane .. ':ringed', sub)
        redis.call('SADD', b .. 'capwait:' .. sub, lane .. tenant)
        redis.call('SADD', b .. 'capped', sub)
      else
        redis.call('SREM', b .. lane .. ':ringed', sub)
        redis.call('ZADD', b .. 'parked', untilMs, lane .. sub .. tenant)
      end
    end
    if otherEps > 0 then
      redis.call('RPUSH', tenants, tenant)
    else
      redis.call('SREM', b .. lane .. ':tenants-ringed', tenant)
    end
  end
end
if #records > 0 then
  redis.call('SET', b .. 'seq', string.format('%d', seq))
  each('ZADD', b .. 'leases', leases)
  each('HSET', b .. 'claims', records)
  for _, lane in ipairs({ 'f', 'r' }) do
    if taken[lane] > 0 then redis.call('HINCRBY', b .. 'owned', owner .. lane, taken[lane]) end
  end
end
return out
`;

/**
 * ARGV: prefix, expires, mode (`begin` or `renew`), then (delivery, lease) pairs; answers 1 or 0 for each: whether
 * the claim is still current, and for \`begin\` not answered yet. Its lease then lasts until \`expires\`.
 */
export const RENEW_SCRIPT = `${PRELUDE}
local expires = tonumber(ARGV[2])
local begin = ARGV[3] == 'begin'
local out = {}
for k, c in ipairs(currentClaims(4, 2)) do
  local did = ARGV[4 + (k - 1) * 2]
  if c and not (begin and c.state == 'a') then
    redis.call('ZADD', b .. 'inflight:' .. c.sub, 'XX', expires, did)
    redis.call('ZADD', b .. 'leases', 'XX', expires, c.lane .. c.sub .. did .. c.tenant)
    out[k] = 1
  else
    out[k] = 0
  end
end
return out
`;

/**
 * ARGV: prefix, now, windowMs, then per report: delivery, lease, result (succeeded/failed/timedout/skipped),
 * pauseUntil ('' none), cap ('' default), rate ('' none). A claim no longer current (its lease expired and the
 * delivery was handed out again) changes nothing. Otherwise keeps the limits, applies a pause and counts the attempt
 * in the endpoint's window. A success while the breaker is closed, or a skip, frees the endpoint's place and the
 * process's here; any other answer may move the breaker, so the claim is held (its place stays taken) until RELEASE
 * moves the breaker and frees it in one step, and no send can slip between. The claim itself lasts until END.
 * Returns per report 0 when the claim is not held, and for a held one (whose caller decides on the breaker)
 * { breaker, since, until, attempts, failures, timeoutsInRow }.
 */
export const REPORT_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local bucketMs = math.max(1, math.floor(windowMs / 6))
local bucket = math.floor(now / bucketMs)
local slot = bucket % 6
-- Each endpoint's fields as this script leaves them: cap, rate, pausedUntil, breaker, timeoutsInRow, whether its
-- window's current bucket was started, and the successes and failures not yet counted in it.
local endpoints, order = {}, {}
local function countAttempts(sub)
  local s = endpoints[sub]
  local w = b .. 'win:' .. sub
  if s.o > 0 then redis.call('HINCRBY', w, 'o' .. slot, s.o) end
  if s.f > 0 then redis.call('HINCRBY', w, 'f' .. slot, s.f) end
  s.o, s.f = 0, 0
end
local out = {}
for k, c in ipairs(currentClaims(4, 6)) do
  local i = 4 + (k - 1) * 6
  local did, result, pauseUntil, cap, rate = ARGV[i], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  if not c then
    out[k] = 0
  else
    local sub = c.sub
    local ep = b .. 'ep:' .. sub
    local s = endpoints[sub]
    if not s then
      s = redis.call('HMGET', ep, 'cap', 'rate', 'pausedUntil', 'breaker', 'timeoutsInRow')
      s.o, s.f = 0, 0
      endpoints[sub] = s
      order[#order + 1] = sub
    end
    if cap ~= (s[1] or '') then
      if cap == '' then redis.call('HDEL', ep, 'cap') else redis.call('HSET', ep, 'cap', cap) end
      s[1] = cap ~= '' and cap
    end
    if rate ~= (s[2] or '') then
      if rate == '' then redis.call('HDEL', ep, 'rate') else redis.call('HSET', ep, 'rate', rate) end
      s[2] = rate ~= '' and rate
    end
    if pauseUntil ~= '' then
      local p = tonumber(pauseUntil)
      if p > (tonumber(s[3]) or 0) then
        redis.call('HSET', ep, 'pausedUntil', p)
        redis.call('ZADD', b .. 'paused', p, sub)
        s[3] = p
      end
    end
    local breaker = s[4]
    local w = b .. 'win:' .. sub
    if result ~= 'skipped' then
      if not s.bucketStarted then
        if tonumber(redis.call('HGET', w, 't' .. slot)) ~= bucket then
          -- A new bucket starts at least every bucketMs while attempts come, which keeps the window alive.
          redis.call('HSET', w, 't' .. slot, bucket, 'o' .. slot, 0, 'f' .. slot, 0)
          redis.call('PEXPIRE', w, windowMs * 2)
        end
        s.bucketStarted = true
      end
      if result == 'succeeded' then s.o = s.o + 1 else s.f = s.f + 1 end
      if result == 'timedout' then
        s[5] = tostring(redis.call('HINCRBY', ep, 'timeoutsInRow', 1))
      elseif (s[5] or '0') ~= '0' then
        redis.call('HSET', ep, 'timeoutsInRow', 0)
        s[5] = '0'
      end
    elseif breaker == 'half' then
      -- Nothing was sent, so nothing was learnt: another probe may go.
      redis.call('HDEL', ep, 'probeUntil')
    end
    if result == 'failed' or result == 'timedout' or (result == 'succeeded' and breaker) then
      -- Only a held claim's caller decides on the breaker, so only it is told the window.
      countAttempts(sub)
      local attempts, failures = 0, 0
      local slots = redis.call('HMGET', w, 't0', 'o0', 'f0', 't1', 'o1', 'f1', 't2', 'o2', 'f2', 't3', 'o3', 'f3', 't4', 'o4', 'f4', 't5', 'o5', 'f5')
      for n = 0, 5 do
        local t = tonumber(slots[n * 3 + 1])
        if t and t > bucket - 6 then
          local f = tonumber(slots[n * 3 + 3]) or 0
          attempts = attempts + (tonumber(slots[n * 3 + 2]) or 0) + f
          failures = failures + f
        end
      end
      local h = redis.call('HMGET', ep, 'breakerSince', 'breakerUntil', 'timeoutsInRow')
      out[k] = { breaker or '', h[1] or '', h[2] or '', attempts, failures, tonumber(h[3]) or 0 }
    else
      answered(did, c)
      out[k] = 0
    end
  end
end
for _, sub in ipairs(order) do countAttempts(sub) end
settleAnswered()
return out
`;

/**
 * ARGV: prefix, delivery, lease, from, to, since, until (from '' when the breaker stays). Gives back the place of a
 * claim REPORT held, unless it is no longer current: first moves the breaker from `from` to `to` unless another
 * worker moved it meanwhile (opening ends a probe; closing also starts a fresh window), then frees the endpoint's
 * place and the process's, and wakes lanes waiting for one.
 */
export const RELEASE_SCRIPT = `${PRELUDE}
local did, from, to = ARGV[2], ARGV[4], ARGV[5]
local c = currentClaims(2, 6)[1]
if not c then return 0 end
local sub = c.sub
local ep = b .. 'ep:' .. sub
if from ~= '' and (redis.call('HGET', ep, 'breaker') or 'closed') == from then
  if to == 'closed' then
    redis.call('HDEL', ep, 'breaker', 'breakerSince', 'breakerUntil', 'probeUntil')
    redis.call('HDEL', b .. 'breakers', sub)
    redis.call('DEL', b .. 'win:' .. sub)
  else
    redis.call('HSET', ep, 'breaker', to, 'breakerSince', ARGV[6], 'breakerUntil', ARGV[7])
    redis.call('HDEL', ep, 'probeUntil')
    redis.call('HSET', b .. 'breakers', sub, to)
  end
  redis.call('HSET', ep, 'timeoutsInRow', 0)
end
answered(did, c)
settleAnswered()
return 0
`;

/**
 * ARGV: prefix, then (delivery, lease) pairs. Ends each claim still current: its delivery's attempt is recorded, so
 * the scheduler lets go of it (its place, if still taken, and its process's place), unless it was handed over again
 * meanwhile (a resend or replay): then it joins that lane again.
 */
export const END_SCRIPT = `${PRELUDE}
local handedOverAgain = redis.call('EXISTS', b .. 'again') == 1
local leases, ended, untracked = {}, {}, {}
for k, c in ipairs(currentClaims(2, 2)) do
  local did = ARGV[2 + (k - 1) * 2]
  if c then
    leases[#leases + 1] = c.lane .. c.sub .. did .. c.tenant
    ended[#ended + 1] = did
    placesBack(did, c)
    local again = handedOverAgain and redis.call('HGET', b .. 'again', did)
    if again then
      redis.call('HDEL', b .. 'again', did)
      enqueue(again:sub(1, 1), again:sub(2, 37), again:sub(38), { did })
    else
      untracked[#untracked + 1] = did
    end
  end
end
each('ZREM', b .. 'leases', leases)
each('HDEL', b .. 'claims', ended)
each('SREM', KEYS[1], untracked)
return 0
`;

/** ARGV: prefix, sub, delivery. Takes a waiting delivery out (0 when it is claimed: being sent or recorded). */
export const WITHDRAW_SCRIPT = `
local b, sub, did = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HEXISTS', b .. 'claims', did) == 1 then return 0 end
redis.call('LREM', b .. 'f:q:' .. sub, 0, did)
redis.call('LREM', b .. 'r:q:' .. sub, 0, did)
redis.call('SREM', KEYS[1], did)
return 1
`;

/**
 * ARGV: prefix, sub, tenant. An operator's say-so that the endpoint is fine again (activation, resend, replay):
 * its pause and breaker are lifted and its lanes put back in turn.
 */
export const RESUME_SCRIPT = `${PRELUDE}
local sub, tenant = ARGV[2], ARGV[3]
local ep = b .. 'ep:' .. sub
redis.call('HDEL', ep, 'pausedUntil', 'breaker', 'breakerSince', 'breakerUntil', 'probeUntil')
redis.call('HSET', ep, 'timeoutsInRow', 0)
redis.call('ZREM', b .. 'paused', sub)
redis.call('HDEL', b .. 'breakers', sub)
redis.call('DEL', b .. 'win:' .. sub)
for _, lane in ipairs({ 'f', 'r' }) do
  redis.call('ZREM', b .. 'parked', lane .. sub .. tenant)
  if redis.call('LLEN', b .. lane .. ':q:' .. sub) > 0 then ring(lane, sub, tenant) end
end
wakeCapWaiters(sub)
return 0
`;
