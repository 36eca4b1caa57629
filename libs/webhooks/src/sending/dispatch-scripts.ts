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
 * - `claims` HASH: delivery → its claim's state (`h` handed out, `s` being sent, `a` answered and being recorded)
 *   and lease id (the claiming process's id, 36 characters, `:` and a number from `seq`); `owned` HASH:
 *   process..lane → the claims it took that are not answered yet, wherever they are being sent (what its places
 *   count).
 * - `parked` ZSET: endpoints out of turn until a time (pause, open breaker, rate), member lane..sub..tenant;
 *   `capwait:<sub>` SET: lanes (lane..tenant) out of turn until one of the endpoint's sends ends.
 * - `again` HASH: delivery → lane..sub..tenant, handed over again while its claim was not over.
 * - `paused` ZSET, `breakers` HASH, `capped` SET: figures for metrics.
 * Ids are UUIDs (36 characters), so members are split by position; the host's tenant is ''.
 */

const PRELUDE = `
local b = ARGV[1]
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
-- The process that made claim record c gets its place back.
local function giveBack(c, lane)
  local owned = c:sub(2, 37) .. lane
  if redis.call('HINCRBY', b .. 'owned', owned, -1) <= 0 then redis.call('HDEL', b .. 'owned', owned) end
end
-- A send is over: its endpoint's place is free, and lanes waiting for one are woken.
local function freePlace(sub, did)
  if redis.call('ZREM', b .. 'inflight:' .. sub, did) == 1 then wakeCapWaiters(sub) end
end
-- The claim (record c) goes: its endpoint's place and its process's, unless its answer gave them back already.
local function dropClaim(lane, sub, did, c)
  redis.call('HDEL', b .. 'claims', did)
  if c:sub(1, 1) ~= 'a' then
    freePlace(sub, did)
    giveBack(c, lane)
  end
end
-- A claim's (record c) receiver answered: its endpoint's place and its process's are free; it is recorded next.
local function answered(lane, sub, did, c)
  if c:sub(1, 1) ~= 'a' then
    freePlace(sub, did)
    redis.call('HSET', b .. 'claims', did, 'a' .. c:sub(2))
    giveBack(c, lane)
  end
end
-- The delivery joins its endpoint's lane, which is put in turn unless it is out of turn already (woken then).
local function enqueue(lane, sub, did, tenant)
  redis.call('RPUSH', b .. lane .. ':q:' .. sub, did)
  if redis.call('SISMEMBER', b .. 'capwait:' .. sub, lane .. tenant) == 0
    and not redis.call('ZSCORE', b .. 'parked', lane .. sub .. tenant) then
    ring(lane, sub, tenant)
  end
end
-- The delivery's claim record while \`lease\` is its claim (not one that expired and was handed out again), or nil.
local function current(did, lease)
  local c = redis.call('HGET', b .. 'claims', did)
  if c and c:sub(2) == lease then return c end
  return nil
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
local added = 0
for i = 3, #ARGV, 3 do
  local did, sub, tenant = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('SADD', KEYS[1], did) == 1 then
    added = added + 1
    enqueue(lane, sub, did, tenant)
  elseif redis.call('HEXISTS', b .. 'claims', did) == 1 then
    -- Its claim may have read the delivery before this hand-over: it joins the lane again when the claim ends.
    redis.call('HSET', b .. 'again', did, lane .. sub .. tenant)
  end
end
if added > 0 then redis.call('PUBLISH', b .. 'submitted', added) end
return added
`;

/**
 * ARGV: prefix, now, leaseMs, placesFirst, placesRetry, defaultCap, maxSteps, process, most, reserve. Returns flat
 * (lane, delivery, sub, tenant, lease) quintuples. First gives expired leases' deliveries back to their lanes and
 * puts parked endpoints whose time came back in turn; then per lane, up to the process's places less its claims
 * not answered, and up to `most` claims in all (`reserve` of them kept for retries until they had their turn), takes
 * turns: a tenant, its next endpoint, one delivery of it.
 */
export const CLAIM_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
local defaultCap = tonumber(ARGV[6])
local maxSteps = tonumber(ARGV[7])
local owner = ARGV[8]

for _, m in ipairs(redis.call('ZRANGEBYSCORE', b .. 'leases', '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', b .. 'leases', m)
  local lane, sub, did, tenant = m:sub(1, 1), m:sub(2, 37), m:sub(38, 73), m:sub(74)
  local c = redis.call('HGET', b .. 'claims', did)
  if c then
    redis.call('HDEL', b .. 'again', did)
    redis.call('LPUSH', b .. lane .. ':q:' .. sub, did)
    ring(lane, sub, tenant)
    dropClaim(lane, sub, did, c)
  end
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', b .. 'parked', '-inf', now, 'LIMIT', 0, 200)) do
  redis.call('ZREM', b .. 'parked', m)
  ring(m:sub(1, 1), m:sub(2, 37), m:sub(38))
end

-- 'go', 'wait' (at its cap: back in turn when a send ends) or 'park' with the time it may go again.
local function verdict(sub)
  local ep = b .. 'ep:' .. sub
  local s = redis.call('HMGET', ep, 'cap', 'rate', 'tokens', 'tokensAt', 'pausedUntil', 'breaker', 'breakerUntil', 'probeUntil')
  local pausedUntil = tonumber(s[5])
  if pausedUntil and pausedUntil > now then return 'park', pausedUntil end
  local breaker = s[6]
  if breaker == 'open' then
    local u = tonumber(s[7]) or 0
    if u > now then return 'park', u end
    redis.call('HSET', ep, 'breaker', 'half', 'breakerSince', u)
    redis.call('HSET', b .. 'breakers', sub, 'half')
    breaker = 'half'
  end
  if breaker == 'half' then
    local probe = tonumber(s[8])
    if probe and probe > now then return 'wait' end
  end
  local cap = tonumber(s[1]) or defaultCap
  if redis.call('ZCARD', b .. 'inflight:' .. sub) >= cap then return 'wait' end
  local rate = tonumber(s[2])
  if rate then
    local burst = math.max(1, rate / 4)
    local tokens = tonumber(s[3]) or burst
    local at = tonumber(s[4]) or now
    tokens = math.min(burst, tokens + (now - at) * rate / 1000)
    if tokens < 1 then return 'park', now + math.ceil((1 - tokens) * 1000 / rate) end
    redis.call('HSET', ep, 'tokens', tostring(tokens - 1), 'tokensAt', now)
  end
  if breaker == 'half' then redis.call('HSET', ep, 'probeUntil', now + leaseMs) end
  return 'go'
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
for _, pass in ipairs(passes) do
  local lane = pass[1]
  local tenants = b .. lane .. ':tenants'
  while want[lane] > 0 and total < pass[2] and steps < maxSteps do
    steps = steps + 1
    local tenant = redis.call('LPOP', tenants)
    if not tenant then break end
    local eps = b .. lane .. ':eps:' .. tenant
    local sub = redis.call('LPOP', eps)
    if sub then
      local q = b .. lane .. ':q:' .. sub
      local v, untilMs = 'go', nil
      if redis.call('LLEN', q) > 0 then v, untilMs = verdict(sub) end
      if v == 'go' then
        local did = redis.call('LPOP', q)
        if did then
          local expires = now + leaseMs
          redis.call('ZADD', b .. 'inflight:' .. sub, expires, did)
          redis.call('ZADD', b .. 'leases', expires, lane .. sub .. did .. tenant)
          local lease = owner .. ':' .. redis.call('INCR', b .. 'seq')
          redis.call('HSET', b .. 'claims', did, 'h' .. lease)
          redis.call('HINCRBY', b .. 'owned', owner .. lane, 1)
          out[#out + 1] = lane
          out[#out + 1] = did
          out[#out + 1] = sub
          out[#out + 1] = tenant
          out[#out + 1] = lease
          want[lane] = want[lane] - 1
          total = total + 1
        end
        if redis.call('LLEN', q) > 0 then
          redis.call('RPUSH', eps, sub)
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
    if redis.call('LLEN', eps) > 0 then
      redis.call('RPUSH', tenants, tenant)
    else
      redis.call('SREM', b .. lane .. ':tenants-ringed', tenant)
    end
  end
end
return out
`;

/**
 * ARGV: prefix, expires, mode (`begin` or `renew`), then (lane, sub, delivery, tenant, lease) quintuples; answers
 * 1 or 0 for each. `begin`: a handed-out claim still current becomes one being sent (1). `renew`: a claim being
 * sent or recorded still current (1). Either way its lease lasts until `expires`.
 */
export const RENEW_SCRIPT = `
local b = ARGV[1]
local expires = tonumber(ARGV[2])
local begin = ARGV[3] == 'begin'
local out = {}
for i = 4, #ARGV, 5 do
  local lane, sub, did, tenant, lease = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local c = redis.call('HGET', b .. 'claims', did)
  local ok = c and c:sub(2) == lease and (c:sub(1, 1) == 'h') == begin
  if ok then
    if begin then redis.call('HSET', b .. 'claims', did, 's' .. lease) end
    redis.call('ZADD', b .. 'inflight:' .. sub, 'XX', expires, did)
    redis.call('ZADD', b .. 'leases', 'XX', expires, lane .. sub .. did .. tenant)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/**
 * ARGV: prefix, now, windowMs, then per report: lane, sub, delivery, tenant, lease, result (succeeded/failed/
 * skipped), timedOut (1/0), pauseUntil ('' none), cap ('' default), rate ('' none). A claim no longer current (its
 * lease expired and the delivery was handed out again) changes nothing. Otherwise keeps the limits, applies a pause and
 * counts the attempt in the endpoint's window. A success while the breaker is closed, or a skip, frees the
 * endpoint's place and the process's here; any other answer may move the breaker, so the claim is held (its place stays taken) until
 * RELEASE moves the breaker and frees it in one step, and no send can slip between. The claim itself lasts until
 * END. Returns per report: held (1/0), breaker,
 * and for a held claim (whose caller decides on the breaker) since, until, attempts, failures, timeoutsInRow.
 */
export const REPORT_SCRIPT = `${PRELUDE}
local now = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local bucketMs = math.max(1, math.floor(windowMs / 6))
local out = {}
for i = 4, #ARGV, 10 do
  local lane, sub, did, tenant, lease = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local result, timedOut, pauseUntil, cap, rate = ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], ARGV[i + 9]
  local c = current(did, lease)
  if not c then
    out[#out + 1] = { 0, '', '', '', 0, 0, 0 }
  else
    local ep = b .. 'ep:' .. sub
    local s = redis.call('HMGET', ep, 'cap', 'rate', 'pausedUntil', 'breaker', 'timeoutsInRow')
    if cap ~= (s[1] or '') then
      if cap == '' then redis.call('HDEL', ep, 'cap') else redis.call('HSET', ep, 'cap', cap) end
    end
    if rate ~= (s[2] or '') then
      if rate == '' then redis.call('HDEL', ep, 'rate') else redis.call('HSET', ep, 'rate', rate) end
    end
    if pauseUntil ~= '' then
      local p = tonumber(pauseUntil)
      if p > (tonumber(s[3]) or 0) then
        redis.call('HSET', ep, 'pausedUntil', p)
        redis.call('ZADD', b .. 'paused', p, sub)
      end
    end
    local breaker = s[4]
    local w = b .. 'win:' .. sub
    if result ~= 'skipped' then
      local bucket = math.floor(now / bucketMs)
      local slot = bucket % 6
      if tonumber(redis.call('HGET', w, 't' .. slot)) ~= bucket then
        -- A new bucket starts at least every bucketMs while attempts come, which keeps the window alive.
        redis.call('HSET', w, 't' .. slot, bucket, 'o' .. slot, 0, 'f' .. slot, 0)
        redis.call('PEXPIRE', w, windowMs * 2)
      end
      redis.call('HINCRBY', w, (result == 'succeeded' and 'o' or 'f') .. slot, 1)
      if timedOut == '1' then
        redis.call('HINCRBY', ep, 'timeoutsInRow', 1)
      elseif (s[5] or '0') ~= '0' then
        redis.call('HSET', ep, 'timeoutsInRow', 0)
      end
    elseif breaker == 'half' then
      -- Nothing was sent, so nothing was learnt: another probe may go.
      redis.call('HDEL', ep, 'probeUntil')
    end
    if result == 'failed' or (result == 'succeeded' and breaker) then
      -- Only a held claim's caller decides on the breaker, so only it is told the window.
      local attempts, failures = 0, 0
      local currentBucket = math.floor(now / bucketMs)
      local slots = redis.call('HMGET', w, 't0', 'o0', 'f0', 't1', 'o1', 'f1', 't2', 'o2', 'f2', 't3', 'o3', 'f3', 't4', 'o4', 'f4', 't5', 'o5', 'f5')
      for slot = 0, 5 do
        local t = tonumber(slots[slot * 3 + 1])
        if t and t > currentBucket - 6 then
          local f = tonumber(slots[slot * 3 + 3]) or 0
          attempts = attempts + (tonumber(slots[slot * 3 + 2]) or 0) + f
          failures = failures + f
        end
      end
      local h = redis.call('HMGET', ep, 'breakerSince', 'breakerUntil', 'timeoutsInRow')
      out[#out + 1] = { 1, breaker or '', h[1] or '', h[2] or '', attempts, failures, tonumber(h[3]) or 0 }
    else
      answered(lane, sub, did, c)
      out[#out + 1] = { 0, breaker or '', '', '', 0, 0, 0 }
    end
  end
end
return out
`;

/**
 * ARGV: prefix, lane, sub, delivery, tenant, lease, from, to, since, until (from '' when the breaker stays). Gives
 * back the place of a claim REPORT held, unless it is no longer current: first moves the breaker from `from` to
 * `to` unless another worker moved it meanwhile (opening ends a probe; closing also starts a fresh window), then
 * frees the endpoint's place and the process's, and wakes lanes waiting for one.
 */
export const RELEASE_SCRIPT = `${PRELUDE}
local lane, sub, did, tenant, lease = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local from, to = ARGV[7], ARGV[8]
local c = current(did, lease)
if not c then return 0 end
local ep = b .. 'ep:' .. sub
if from ~= '' and (redis.call('HGET', ep, 'breaker') or 'closed') == from then
  if to == 'closed' then
    redis.call('HDEL', ep, 'breaker', 'breakerSince', 'breakerUntil', 'probeUntil')
    redis.call('HDEL', b .. 'breakers', sub)
    redis.call('DEL', b .. 'win:' .. sub)
  else
    redis.call('HSET', ep, 'breaker', to, 'breakerSince', ARGV[9], 'breakerUntil', ARGV[10])
    redis.call('HDEL', ep, 'probeUntil')
    redis.call('HSET', b .. 'breakers', sub, to)
  end
  redis.call('HSET', ep, 'timeoutsInRow', 0)
end
answered(lane, sub, did, c)
return 0
`;

/**
 * ARGV: prefix, then (lane, sub, delivery, tenant, lease) quintuples. Ends each claim still current: its delivery's
 * attempt is recorded, so the scheduler lets go of it (its place, if still taken, and its process's place), unless
 * it was handed over again meanwhile (a resend or replay): then it joins that lane again.
 */
export const END_SCRIPT = `${PRELUDE}
for i = 2, #ARGV, 5 do
  local lane, sub, did, tenant, lease = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local c = current(did, lease)
  if c then
    redis.call('ZREM', b .. 'leases', lane .. sub .. did .. tenant)
    dropClaim(lane, sub, did, c)
    local again = redis.call('HGET', b .. 'again', did)
    if again then
      redis.call('HDEL', b .. 'again', did)
      enqueue(again:sub(1, 1), again:sub(2, 37), did, again:sub(38))
    else
      redis.call('SREM', KEYS[1], did)
    end
  end
end
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
