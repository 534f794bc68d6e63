"""Distributed crawl: many `scrapy crawl` processes share one frontier in Redis.

Set ``REDIS_URL`` (``-s REDIS_URL=redis://HOST:6379/0``, or the environment variable
``GOVREPORTS_REDIS_URL``) and the add-on `RedisFrontier` switches the crawl to scrapy-redis:
the request queue and the duplicate filter of the spider live in Redis, so every process
started with the same URL takes requests from one queue and no request is fetched twice.
The processes share ``DATA_DIR`` on one host (its SQLite crawl state, in WAL mode, is
shared by processes of one machine, not over a network file system). Without ``REDIS_URL`` nothing changes:
Scrapy's own scheduler and duplicate filter are used, and ``JOBDIR`` pauses and resumes.
The two do not mix: a JOBDIR with REDIS_URL is refused (the frontier is in Redis).

Every process yields the spider's start requests; the shared duplicate filter keeps the
first copy of each. Requests are pickled into Redis: callbacks are spider methods, meta
is plain data.

**Leases.** scrapy-redis pops a request from Redis and it is gone, while its fingerprint
stays in the duplicate filter: a process killed with requests in flight would lose them
for good (no other process would ever schedule them again). So `LeasingScheduler`
queues a request with its fingerprint in one atomic script, pops a request into the
worker's lease hash (``<queue>:leases:<worker>``) in another, and deletes the lease
(*acks*) only when Scrapy is completely done with the request: its response or failure
went through the callback or errback, the requests they yielded are in the Redis queue
and the items through the pipelines (stored in the crawl state). A retried or redirected
request is done once its follow-up is queued; a request robots.txt or the offsite filter
ignores is done once its errback ran. So every fingerprint belongs to a request that is
queued, leased or done. "Done" is read from the engine's set of requests in progress (a
request enters it when it is popped and leaves it after all of that), swept whenever the
scheduler is asked for a request, on every heartbeat and when the spider is idle. Scrapy
has no public signal for "done" (a spider middleware sees neither errbacks nor the items
still in the pipelines): this reads ``engine._slot.inprogress``, and the idle nudge below
calls ``engine._slot.nextcall`` (Scrapy 2.19; a worker refuses to start without them).

Each worker refreshes a heartbeat key (``<queue>:alive:<worker>``) every third of
``REDIS_WORKER_TIMEOUT`` (default 30 s). A worker with nothing to do (``spider_idle``)
puts the leased requests of workers whose heartbeat expired back in the queue (they are
pushed to the queue itself, past the duplicate filter), and stays open while it took
back any or while a live worker still holds leases: that worker may yet yield more
requests. While it waits it has the engine look again every half second (Scrapy's own
idle check runs every 5 s), so it takes its share of what other workers queue and closes
soon after the last of them. So no worker closes before the queue is empty and nothing
is in flight anywhere; each publishes the dataset from the whole crawl state when it
closes (crawler/pipelines.py), so every publication, the last one's included, has
everything the crawl fetched (a worker that joins late with other spider arguments may
add more: it publishes again when it closes).

A worker whose event loop stalls longer than the timeout looks dead: its requests are
done again by another (a duplicate fetch, never a lost one). Raise the timeout for
workers that normalize in the crawling process (``NORMALIZE_WORKERS=0``).

A crawl in Redis lasts from its first worker's start until a worker starts and finds no
live worker and an empty queue: that worker clears the duplicate filter and the next
crawl begins afresh (an incremental run: the crawl state still skips complete reports).
A crawl whose every worker was stopped or killed is resumed by the next one (its leases
are queued again), as a JOBDIR would. The scripts name keys they build from the queue
key: one Redis server, not a Redis Cluster.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import socket
from typing import Any

import scrapy
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, UsageError
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.scheduler import Scheduler

log = logging.getLogger(__name__)

# Requeue the leases of workers whose heartbeat expired; report live workers holding leases.
# KEYS: queue, workers set. ARGV: key prefix (the queue key), this worker.
# Returns {requests requeued, live other workers, live other workers holding leases}.
_REAP = """
local queue, workers, prefix, me = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local requeued, live, busy = 0, 0, 0
for _, w in ipairs(redis.call('SMEMBERS', workers)) do
  local leases = prefix .. ':leases:' .. w
  if w ~= me and redis.call('EXISTS', prefix .. ':alive:' .. w) == 1 then
    live = live + 1
    if redis.call('HLEN', leases) > 0 then busy = busy + 1 end
  elseif w ~= me then
    local kv = redis.call('HGETALL', leases)
    for i = 1, #kv, 2 do  -- field "<n>:<score>", value: the pickled request
      redis.call('ZADD', queue, string.match(kv[i], ':(.+)$'), kv[i + 1])
      requeued = requeued + 1
    end
    redis.call('DEL', leases)
    redis.call('SREM', workers, w)
  end
end
"""

#: at idle: reap
_IDLE = _REAP + "return {requeued, live, busy}\n"

#: at open: reap; with no live worker and an empty queue the last crawl is over: forget
#: its fingerprints. Then register. KEYS: + dupefilter. ARGV: + heartbeat TTL (ms).
_JOIN = _REAP + """
local fresh = 0
if live == 0 and redis.call('ZCARD', queue) == 0 then
  redis.call('DEL', KEYS[3])
  fresh = 1
end
redis.call('SET', prefix .. ':alive:' .. me, '1', 'PX', ARGV[3])
redis.call('SADD', workers, me)
return {requeued, fresh}
"""

#: a request is queued with its fingerprint or not at all: a worker killed between the two
#: would leave a fingerprint whose request nobody queued, and every copy of that request
#: the others yield would be dropped as seen. KEYS: dupefilter, queue. ARGV: fingerprint
#: ('' for dont_filter requests), score, the pickled request.
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

#: pop the best request and lease it; a worker holding leases is registered (a worker taken
#: for dead while it stalled registers again). KEYS: queue, this worker's leases, workers.
#: ARGV: lease number, this worker.
_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local field = ARGV[1] .. ':' .. top[2]
redis.call('HSET', KEYS[2], field, top[1])
redis.call('SADD', KEYS[3], ARGV[2])
return {field, top[1]}
"""

#: at close: put back what is still leased (nothing, unless Scrapy dropped requests in
#: flight), then leave. KEYS: queue, workers, leases, heartbeat. ARGV: this worker.
_LEAVE = """
local kv = redis.call('HGETALL', KEYS[3])
for i = 1, #kv, 2 do redis.call('ZADD', KEYS[1], string.match(kv[i], ':(.+)$'), kv[i + 1]) end
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[1])
return #kv / 2
"""


class RedisFrontier:
    """Scrapy add-on (``ADDONS``): with ``REDIS_URL`` set, the frontier is in Redis."""

    SETTINGS = {
        "SCHEDULER": "crawler.distributed.LeasingScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",  # the lease scripts read a sorted set
        "SCHEDULER_QUEUE_KEY": "govreports:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": "govreports:%(spider)s:dupefilter",
        # never flush at close: other workers are still using the queue (see LeasingScheduler)
        "SCHEDULER_PERSIST": True,
    }

    def update_settings(self, settings) -> None:
        if not settings.get("REDIS_URL"):
            return
        if settings.get("JOBDIR"):
            raise UsageError("REDIS_URL and JOBDIR do not mix: a distributed crawl keeps its queue in Redis "
                             "(it resumes from there); drop JOBDIR")
        for name, value in self.SETTINGS.items():
            settings.set(name, value, priority="addon")


class LeasingScheduler(Scheduler):
    """scrapy-redis's scheduler whose popped requests are leased until done (module docstring)."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.timeout = crawler.settings.getfloat("REDIS_WORKER_TIMEOUT", 30.0)
        crawler.signals.connect(scheduler.spider_idle, signals.spider_idle)
        return scheduler

    def open(self, spider) -> None:
        if not hasattr(getattr(self.crawler.engine, "_slot", None), "inprogress"):
            raise RuntimeError(f"this Scrapy ({scrapy.__version__}) keeps no engine._slot.inprogress: "
                               "leases cannot tell when a request is done (crawler/distributed.py)")
        super().open(spider)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.prefix = self.queue.key
        self.workers_key = f"{self.prefix}:workers"
        self.leases_key = f"{self.prefix}:leases:{self.worker}"
        self.alive_key = f"{self.prefix}:alive:{self.worker}"
        self.leased: dict[Request, str] = {}  # popped requests in progress → their lease field
        self.numbers = itertools.count(1)
        self._push = self.server.register_script(_PUSH)
        self._pop = self.server.register_script(_POP)
        self._idle = self.server.register_script(_IDLE)
        requeued, fresh = self.server.register_script(_JOIN)(
            keys=[self.queue.key, self.workers_key, self.df.key], args=[self.prefix, self.worker, self._ttl_ms()])
        where = self.server.connection_pool.connection_kwargs
        log.info("distributed crawl: worker %s, frontier %s at redis %s:%s/%s (%s)", self.worker, self.prefix,
                 where.get("host"), where.get("port"), where.get("db"),
                 "a new crawl" if fresh else f"joining a crawl, {len(self.queue)} requests queued")
        if requeued:
            log.warning("requeued %d requests leased by workers that died", requeued)
            self.stats.inc_value("govreports/distributed/requeued", requeued)
        self.heartbeat = create_looping_call(self.beat)
        self.heartbeat.start(self.timeout / 3, now=False)
        self.waiting = False  # idle, kept open by spider_idle: nudge the engine until that changes
        self.nudging = create_looping_call(self.nudge)
        self.nudging.start(0.5, now=False)

    def _ttl_ms(self) -> int:
        return int(self.timeout * 1000)

    def beat(self) -> None:
        try:
            self.server.pipeline().set(self.alive_key, "1", px=self._ttl_ms()).sadd(self.workers_key, self.worker).execute()
            self.ack_done()
        except Exception as e:  # Redis unreachable for a moment: the next beat tries again
            log.warning("distributed crawl: heartbeat failed: %s", e)

    def nudge(self) -> None:
        """Have the engine take requests from the queue, or see whether it is idle, now."""
        slot = self.crawler.engine._slot
        if self.waiting and slot is not None:
            self.waiting = False
            slot.nextcall.schedule()

    def ack_done(self) -> None:
        """Delete the leases of the requests the engine is done with."""
        slot = self.crawler.engine._slot
        inprogress = slot.inprogress if slot is not None else set()
        done = [request for request in self.leased if request not in inprogress]
        if done:
            self.server.hdel(self.leases_key, *(self.leased.pop(request) for request in done))

    def enqueue_request(self, request: Request) -> bool:
        # scrapy-redis's, with the fingerprint and the request added in one script
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if not self._push(keys=[self.df.key, self.queue.key],
                          args=[fingerprint, -request.priority, self.queue._encode_request(request)]):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        # every request popped earlier is in the engine's in-progress set by now
        self.ack_done()
        popped = self._pop(keys=[self.queue.key, self.leases_key, self.workers_key], args=[next(self.numbers), self.worker])
        if not popped:
            return None
        field, data = popped
        try:
            request = self.queue._decode_request(data)
        except Exception as e:  # pickled by another version of the spider (a callback it lacks): drop it
            log.error("distributed crawl: dropping a queued request that cannot be read: %s", e)
            self.server.hdel(self.leases_key, field)
            self.stats.inc_value("govreports/distributed/unreadable")
            return self.next_request()
        self.leased[request] = field.decode()
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def spider_idle(self, spider) -> None:
        """Stay open while a dead worker's requests were taken back or a live one holds leases."""
        self.ack_done()
        requeued, live, busy = self._idle(keys=[self.queue.key, self.workers_key], args=[self.prefix, self.worker])
        if requeued:
            log.warning("requeued %d requests leased by workers that died", requeued)
            self.stats.inc_value("govreports/distributed/requeued", requeued)
        if requeued or busy or len(self.queue):
            self.waiting = True
            raise DontCloseSpider(f"{busy} of {live} other workers have requests in flight")

    def close(self, reason: str) -> Any:
        for loop in (self.heartbeat, self.nudging):
            if loop.running:
                loop.stop()
        self.ack_done()
        left = self.server.register_script(_LEAVE)(
            keys=[self.queue.key, self.workers_key, self.leases_key, self.alive_key], args=[self.worker])
        if left:
            log.warning("put %d requests in flight back in the queue", left)
        return super().close(reason)
