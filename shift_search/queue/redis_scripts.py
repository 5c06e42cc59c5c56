"""The queue's Lua scripts: each step that touches several keys runs atomically in Redis.

Every script gets the key prefix as ARGV[1] and builds its keys from it (see redis_keys.py);
times come from Redis's own clock (TIME), so hosts with skewed clocks agree. Invariant kept by
every script: each task waiting in a query stream or the retry stream has one undelivered token
in the backlog stream, and each task an executor holds has one token pending under that
executor; so the backlog group's lag is the queue length and its pending count the tasks
running, which is what an autoscaler reads.
"""

from __future__ import annotations

EVENTS_MAX = 50_000
"""Approximate cap on a query's notification stream (progress is rate-limited by workers)."""

COMMON = f"""
local P = ARGV[1]
local G = 'executors'
local BACKLOG = P .. ':backlog'
local ACTIVE = P .. ':active'
local RETRY = P .. ':retry'
local EXECUTORS = P .. ':executors'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function qkey(q, part) return P .. ':q:' .. q .. ':' .. part end
local function fields_of(flat)
  local t = {{}}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end
local function split(s)
  local out = {{}}
  for part in string.gmatch(s .. '|', '([^|]*)|') do out[#out + 1] = part end
  return out
end
local function emit(q, kind, task, executor, at, attempt, payload, code, message, from_done)
  local ev = qkey(q, 'events')
  if redis.call('EXISTS', ev) == 1 then
    redis.call('XADD', ev, 'MAXLEN', '~', {EVENTS_MAX}, '*', 'k', kind, 't', task,
      'e', executor, 'at', at, 'a', attempt, 'p', payload, 'c', code, 'm', message,
      'd', from_done)
  end
end
local function wanted(q)
  return redis.call('EXISTS', qkey(q, 'events')) == 1
    and redis.call('EXISTS', qkey(q, 'cancelled')) == 0
end
local function ensure_group(stream)
  redis.pcall('XGROUP', 'CREATE', stream, G, '0', 'MKSTREAM')
end
local function read_group(consumer, stream, count, noack)
  local r
  if noack then
    r = redis.pcall('XREADGROUP', 'GROUP', G, consumer, 'COUNT', count, 'NOACK',
      'STREAMS', stream, '>')
  else
    r = redis.pcall('XREADGROUP', 'GROUP', G, consumer, 'COUNT', count, 'STREAMS', stream, '>')
  end
  if type(r) ~= 'table' or r.err or r[1] == nil then return {{}} end
  return r[1][2]
end
local function drop_tokens(consumer, n)
  local dropped = 0
  while dropped < n do
    local got = read_group(consumer, BACKLOG, math.min(n - dropped, 1000), true)
    if #got == 0 then break end
    dropped = dropped + #got
    redis.call('XTRIM', BACKLOG, 'MINID', got[#got][1])
  end
end
local function finish(executor, stream, id, tok)
  redis.call('XACK', stream, G, id)
  if stream == RETRY then redis.call('XDEL', RETRY, id) end
  if tok ~= '' then redis.call('XACK', BACKLOG, G, tok) end
  return redis.call('HDEL', P .. ':held:' .. executor, stream .. '|' .. id .. '|' .. tok)
end
-- Put a held task back on the retry stream (lost: one more attempt, or failed past the cap).
local function reoffer(executor, handle, record, lost, max_attempts, now)
  local h = split(handle)
  local r = split(record)
  local stream, id, tok, task, q, attempt = h[1], h[2], h[3], r[1], r[2], tonumber(r[3])
  local entry = redis.call('XRANGE', stream, id, id)
  finish(executor, stream, id, tok)
  if #entry == 0 or not wanted(q) or redis.call('EXISTS', P .. ':done:' .. task) == 1 then
    return 0
  end
  if lost and attempt >= max_attempts then
    emit(q, 'failed', task, executor, now, attempt, '', 'UNAVAILABLE',
      'queue: task ' .. task .. ' was lost with ' .. attempt ..
      ' executor(s), the last ' .. executor .. '; not retried', '0')
    return 0
  end
  local f = fields_of(entry[1][2])
  local next_attempt = attempt
  if lost then next_attempt = attempt + 1 end
  ensure_group(RETRY)
  redis.call('XADD', RETRY, '*', 't', task, 'q', q, 'k', f['k'], 'm', f['m'], 'p', f['p'],
    'a', next_attempt)
  redis.call('XADD', BACKLOG, '*', 't', task)
  local kind = 'released'
  if lost then kind = 'lost' end
  emit(q, kind, task, executor, now, attempt, '', '', '', '0')
  return 1
end
local function forget(executor)
  redis.call('DEL', P .. ':held:' .. executor)
  redis.call('ZREM', EXECUTORS, executor)
  redis.call('DEL', P .. ':executor:' .. executor)
end
"""

# ARGV: prefix, query ttl ms, request id, then (task, query, kind, model, payload) per task.
# A request id seen before (a client retry after a lost reply) changes nothing.
ENQUEUE = (
    COMMON
    + """
local ttl = tonumber(ARGV[2])
if redis.call('SET', P .. ':enqueued:' .. ARGV[3], '1', 'NX', 'PX', ttl) == false then
  return 0
end
local now = now_ms()
local counts, order = {}, {}
for i = 4, #ARGV, 5 do
  local q = ARGV[i + 1]
  if counts[q] == nil then counts[q] = 0; order[#order + 1] = q end
  counts[q] = counts[q] + 1
end
for _, q in ipairs(order) do
  if redis.call('EXISTS', qkey(q, 'cancelled')) == 1 then
    return redis.error_reply('CANCELLED query ' .. q .. ' was cancelled')
  end
  if redis.call('EXISTS', qkey(q, 'closed')) == 1 then
    return redis.error_reply('CANCELLED query ' .. q .. ' was closed')
  end
end
ensure_group(BACKLOG)
for _, q in ipairs(order) do
  local ev = qkey(q, 'events')
  redis.call('XADD', ev, 'MAXLEN', '~', 50000, '*', 'k', 'queued', 't', '', 'e', '',
    'at', now, 'a', 0, 'p', '', 'c', '', 'm', counts[q], 'd', '0')
  redis.call('PEXPIRE', ev, ttl)
end
for i = 4, #ARGV, 5 do
  local task, q, kind, model, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local done = redis.call('GET', P .. ':done:' .. task)
  if done then
    emit(q, 'result', task, '', now, 0, done, '', '', '1')
  else
    local s = qkey(q, 'm:' .. model)
    if redis.call('EXISTS', s) == 0 then ensure_group(s) end
    redis.call('XADD', s, '*', 't', task, 'q', q, 'k', kind, 'm', model, 'p', payload, 'a', 1)
    redis.call('PEXPIRE', s, ttl)
    redis.call('XADD', BACKLOG, '*', 't', task)
    redis.call('ZINCRBY', qkey(q, 'models'), 1, model)
    redis.call('SADD', qkey(q, 'streams'), s)
    redis.call('ZADD', ACTIVE, 'NX', now, q)
  end
end
for _, q in ipairs(order) do
  redis.call('PEXPIRE', qkey(q, 'models'), ttl)
  redis.call('PEXPIRE', qkey(q, 'streams'), ttl)
end
return #order
"""
)

# ARGV: prefix, executor, count, n models, models… (sorted), n holding (-1: not given),
# holding handles…. Returns {now, last backlog id, then 7 fields per delivery}.
TAKE = (
    COMMON
    + """
local me = ARGV[2]
local want = tonumber(ARGV[3])
local nm = tonumber(ARGV[4])
local mine = {}
for i = 1, nm do mine[i] = ARGV[4 + i] end
local now = now_ms()
local out = {now, ''}
local taken, dropped, seen = 0, 0, 0

-- What the executor holds but did not list as running came from a take whose reply it never
-- read (lost in transit, or the take was re-sent): hand it back before taking more.
local nh = tonumber(ARGV[5 + nm])
if nh >= 0 then
  local keep = {}
  for i = 1, nh do keep[ARGV[5 + nm + i]] = true end
  local held = redis.call('HGETALL', P .. ':held:' .. me)
  for i = 1, #held, 2 do
    if not keep[held[i]] then reoffer(me, held[i], held[i + 1], false, 0, now) end
  end
end

local function offer(stream, id, f)
  local q, task, attempt = f['q'], f['t'], tonumber(f['a'])
  seen = seen + 1
  if not wanted(q) then
    finish(me, stream, id, '')
    dropped = dropped + 1
    return false
  end
  local done = redis.call('GET', P .. ':done:' .. task)
  if done then
    finish(me, stream, id, '')
    emit(q, 'result', task, '', now, attempt, done, '', '', '1')
    dropped = dropped + 1
    return false
  end
  local tok = read_group(me, BACKLOG, 1, false)
  local tokid = ''
  if #tok > 0 then
    tokid = tok[1][1]
    redis.call('XTRIM', BACKLOG, 'MINID', tokid)
  end
  local handle = stream .. '|' .. id .. '|' .. tokid
  redis.call('HSET', P .. ':held:' .. me, handle, task .. '|' .. q .. '|' .. attempt)
  emit(q, 'taken', task, me, now, attempt, '', '', '', '0')
  for _, v in ipairs({handle, task, q, f['k'], f['m'], f['p'], attempt}) do out[#out + 1] = v end
  taken = taken + 1
  return true
end

-- The query's next task: one of a held model's first, else the model with most waiting.
local function pop(q)
  local mk = qkey(q, 'models')
  local model = nil
  for i = 1, nm do
    local s = redis.call('ZSCORE', mk, mine[i])
    if s and tonumber(s) > 0 then model = mine[i]; break end
  end
  if not model then
    local top = redis.call('ZREVRANGE', mk, 0, 0, 'WITHSCORES')
    if #top > 0 and tonumber(top[2]) > 0 then model = top[1] end
  end
  local s, entry = nil, nil
  if model then
    s = qkey(q, 'm:' .. model)
    local got = read_group(me, s, 1, false)
    if #got > 0 then
      entry = got[1]
      redis.call('ZINCRBY', mk, -1, model)
    else
      redis.call('ZADD', mk, 0, model)
    end
  end
  redis.call('ZREMRANGEBYSCORE', mk, '-inf', 0)
  local gone = redis.call('ZCARD', mk) == 0
  if gone then redis.call('ZREM', ACTIVE, q) end
  return s, entry, gone
end

if want > 0 then
  for _, e in ipairs(read_group(me, RETRY, want, false)) do offer(RETRY, e[1], fields_of(e[2])) end
  -- Each pass visits the active queries from the cursor on, fetching them one at a time (a
  -- take usually needs one or two), so its cost does not grow with the number of queries. A
  -- query removed on the way (no task left) shifts the later ones down by one.
  local cursor = tonumber(redis.call('GET', P .. ':cursor') or '0')
  local n = redis.call('ZCARD', ACTIVE)
  while taken < want and n > 0 do
    local start = cursor % n
    local progressed = false
    local removed_before_end, removed_before_start = 0, 0
    for i = 0, n - 1 do
      if taken >= want then break end
      local wrapped = start + i >= n
      local position = (start + i) % n
      local index = position - removed_before_end
      if wrapped then index = position - removed_before_start end
      local q = redis.call('ZRANGE', ACTIVE, index, index)[1]
      if not q then break end
      local s, entry, gone = pop(q)
      if gone then
        if wrapped then
          removed_before_start = removed_before_start + 1
        else
          removed_before_end = removed_before_end + 1
        end
      end
      if entry then
        progressed = true
        if offer(s, entry[1], fields_of(entry[2])) then cursor = cursor + 1 end
      end
    end
    if not progressed then break end
    n = redis.call('ZCARD', ACTIVE)
  end
  redis.call('SET', P .. ':cursor', cursor)
  drop_tokens(me, dropped)
  if seen == 0 and redis.call('ZCARD', ACTIVE) == 0 then
    drop_tokens(me, 1000) -- tokens without a task (a lost write): the queue is empty
  end
end
local last = redis.call('XREVRANGE', BACKLOG, '+', '-', 'COUNT', 1)
if #last > 0 then out[2] = last[1][1] else out[2] = '0-0' end
return out
"""
)

# ARGV: prefix, executor, stream, id, token, task, query, attempt, result, done ttl ms.
COMPLETE = (
    COMMON
    + """
local me, stream, id, tok = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local task, q, attempt, result, ttl = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
finish(me, stream, id, tok)
local fresh = redis.call('SET', P .. ':done:' .. task, result, 'NX', 'PX', ttl)
if fresh then
  emit(q, 'result', task, me, now_ms(), attempt, result, '', '', '0')
  return 1
end
return 0
"""
)

# ARGV: prefix, executor, stream, id, token, task, query, attempt, code, message.
FAIL = (
    COMMON
    + """
local me, stream, id, tok = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if finish(me, stream, id, tok) == 0 then
  return 0 -- finished already, or offered again since (its executor was lost)
end
emit(ARGV[7], 'failed', ARGV[6], me, now_ms(), ARGV[8], '', ARGV[9], ARGV[10], '0')
return 1
"""
)

# ARGV: prefix, executor, task, query, attempt, payload.
PROGRESS = (
    COMMON
    + """
emit(ARGV[4], 'progress', ARGV[3], ARGV[2], now_ms(), ARGV[5], ARGV[6], '', '', '0')
return 1
"""
)

# ARGV: prefix, executor, then handles. Hands the executor's deliveries back.
RELEASE = (
    COMMON
    + """
local me = ARGV[2]
local now = now_ms()
local offered = 0
for i = 3, #ARGV do
  local record = redis.call('HGET', P .. ':held:' .. me, ARGV[i])
  if record then offered = offered + reoffer(me, ARGV[i], record, false, 0, now) end
end
return offered
"""
)

# ARGV: prefix, executor, max attempts. The executor stops: offer what it still holds again.
LEAVE = (
    COMMON
    + """
local me = ARGV[2]
local now = now_ms()
local held = redis.call('HGETALL', P .. ':held:' .. me)
local offered = 0
for i = 1, #held, 2 do
  offered = offered + reoffer(me, held[i], held[i + 1], true, tonumber(ARGV[3]), now)
end
forget(me)
return offered
"""
)

# ARGV: prefix, dead after ms, max attempts.
REAP = (
    COMMON
    + """
local dead_after = tonumber(ARGV[2])
local max_attempts = tonumber(ARGV[3])
local now = now_ms()
local previous = redis.call('GET', P .. ':reaped_at')
redis.call('SET', P .. ':reaped_at', now)
if not previous or now - tonumber(previous) > dead_after then
  -- nobody was watching (a first start, a restart, an outage): judge no executor before it
  -- has had a full interval to heart-beat again
  redis.call('SET', P .. ':watching_since', now)
  return 0
end
local since = redis.call('GET', P .. ':watching_since')
if not since or now - tonumber(since) < dead_after then return 0 end
local offered = 0
for _, e in ipairs(redis.call('ZRANGEBYSCORE', EXECUTORS, '-inf', now - dead_after - 1,
    'LIMIT', 0, 100)) do
  local held = redis.call('HGETALL', P .. ':held:' .. e)
  for i = 1, #held, 2 do
    offered = offered + reoffer(e, held[i], held[i + 1], true, max_attempts, now)
  end
  forget(e)
end
return offered
"""
)

# ARGV: prefix, executor, status json, ttl ms, then query ids of its running tasks.
# Returns {1 if it (re)joined else 0, cancelled query ids…}.
HEARTBEAT = (
    COMMON
    + """
local me = ARGV[2]
local joined = 0
if not redis.call('ZSCORE', EXECUTORS, me) then joined = 1 end
redis.call('ZADD', EXECUTORS, now_ms(), me)
redis.call('SET', P .. ':executor:' .. me, ARGV[3], 'PX', ARGV[4])
local out = {joined}
for i = 5, #ARGV do
  if redis.call('EXISTS', qkey(ARGV[i], 'cancelled')) == 1 then out[#out + 1] = ARGV[i] end
end
return out
"""
)

CANCEL_BODY = """
local q = ARGV[2]
redis.call('SET', qkey(q, 'cancelled'), '1', 'PX', ARGV[3])
local dropped = 0
for _, s in ipairs(redis.call('SMEMBERS', qkey(q, 'streams'))) do
  while true do
    local got = read_group('-cancel-', s, 1000, true)
    if #got == 0 then break end
    dropped = dropped + #got
  end
end
local groups = redis.pcall('XINFO', 'GROUPS', RETRY)
if type(groups) == 'table' and not groups.err then
  for _, g in ipairs(groups) do
    local info = fields_of(g)
    if info['name'] == G then
      for _, e in ipairs(redis.call('XRANGE', RETRY, '(' .. info['last-delivered-id'], '+')) do
        if fields_of(e[2])['q'] == q then
          redis.call('XDEL', RETRY, e[1])
          dropped = dropped + 1
        end
      end
    end
  end
end
drop_tokens('-cancel-', dropped)
redis.call('ZREM', ACTIVE, q)
redis.call('DEL', qkey(q, 'models'))
emit(q, 'cancelled', '', '', now_ms(), 0, '', '', dropped, '0')
"""

# ARGV: prefix, query, cancel ttl ms. Returns how many waiting tasks were dropped.
CANCEL = COMMON + CANCEL_BODY + "return dropped\n"

# ARGV: prefix, query, cancel ttl ms. Cancel, then delete the query's keys.
CLOSE = (
    COMMON
    + CANCEL_BODY
    + """
for _, s in ipairs(redis.call('SMEMBERS', qkey(q, 'streams'))) do redis.call('DEL', s) end
redis.call('DEL', qkey(q, 'streams'), qkey(q, 'events'))
redis.call('SET', qkey(q, 'closed'), '1', 'PX', ARGV[3])
return dropped
"""
)

# ARGV: prefix, dead after ms. Returns {waiting, running, active queries, live executors}.
STATS = (
    COMMON
    + """
local now = now_ms()
local waiting, running = nil, 0
local groups = redis.pcall('XINFO', 'GROUPS', BACKLOG)
if type(groups) == 'table' and not groups.err then
  for _, g in ipairs(groups) do
    local f = fields_of(g)
    if f['name'] == G then
      running = tonumber(f['pending'])
      if f['lag'] then waiting = tonumber(f['lag']) end
    end
  end
end
if waiting == nil then -- lag unknown (Redis < 7 or deleted entries): count the streams
  waiting = 0
  for _, q in ipairs(redis.call('ZRANGE', ACTIVE, 0, -1)) do
    local scores = redis.call('ZRANGE', qkey(q, 'models'), 0, -1, 'WITHSCORES')
    for i = 2, #scores, 2 do waiting = waiting + tonumber(scores[i]) end
  end
end
local live = redis.call('ZCOUNT', EXECUTORS, now - tonumber(ARGV[2]), '+inf')
return {waiting, running, redis.call('ZCARD', ACTIVE), live}
"""
)

# ARGV: prefix, dead after ms. Returns per live executor {id, heartbeat ms, status, tasks…}.
EXECUTORS = (
    COMMON
    + """
local now = now_ms()
local out = {}
local live = redis.call('ZRANGEBYSCORE', EXECUTORS, now - tonumber(ARGV[2]), '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local e = live[i]
  local status = redis.call('GET', P .. ':executor:' .. e)
  if status then
    local tasks = {}
    for _, record in ipairs(redis.call('HVALS', P .. ':held:' .. e)) do
      tasks[#tasks + 1] = split(record)[1]
    end
    out[#out + 1] = {e, live[i + 1], status, tasks}
  end
end
return out
"""
)
