"""A cache refresh takes the cache's RLock (twice: rebuild() re-enters it)
and, holding it, calls a backend that never answers (time.sleep); ten
request threads queue on the RLock behind it. Beside them a config watcher
waits on a Condition nobody notifies, a log flusher on an Event nobody sets,
and a metrics thread keeps one core busy recomputing percentiles (the only
running thread). The main thread joins the refresh.
"""
import random
import threading
import time

import dumpkit


class Cache:
    def __init__(self):
        self.lock = threading.RLock()
        self.entries = {}

    def refresh(self):
        with self.lock:
            self.rebuild(["users", "plans", "prices"])

    def rebuild(self, tables):
        with self.lock:  # re-entered: count 2
            for table in tables:
                self.entries[table] = fetch_from_backend(table)

    def lookup(self, key):
        with self.lock:  # blocks: cache-refresh holds it
            return self.entries.get(key)


def fetch_from_backend(table):
    while True:
        time.sleep(3600)  # the backend never answers, and there is no timeout


def handle_request(cache, n):
    return cache.lookup("user:%d" % n)


def watch_config(config_changed, config):
    with config_changed:
        while not config.get("reload"):
            config_changed.wait()  # nobody notifies


def flush_logs(stop):
    stop.wait()  # nobody sets it


def aggregate(samples):
    while True:
        ordered = sorted(samples)
        p50 = ordered[len(ordered) // 2]
        p99 = ordered[len(ordered) * 99 // 100]
        samples[p50 % len(samples)] = p99 - p50


def describe(cache, refresher, requests, config_changed, watcher, stop, flusher, metrics):
    """The ground truth, checked by dumpkit before the program says `ready`."""
    truth = dumpkit.Truth("rlock-convoy", __doc__.split("\n\n")[0].replace("\n", " "))
    truth.obj("cache.lock", cache.lock, "RLock", held_by="cache-refresh", count=2,
              container=("cache", cache))
    truth.obj("config_changed", config_changed, "Condition", lock=config_changed._lock)
    truth.obj("stop", stop, "Event", cond=stop._cond, lock=stop._cond._lock)
    truth.thread(refresher, "fetch_from_backend", state="sleeping", holds=["cache.lock"],
                 waits_on={"kind": "sleep", "call": "time.sleep(3600)"})
    for t in requests:
        truth.thread(t, "Cache.lookup", waits_on={"kind": "RLock", "object": "cache.lock"})
    truth.thread(watcher, "Condition.wait", waits_on={"kind": "Condition", "object": "config_changed"})
    truth.thread(flusher, "Condition.wait", waits_on={"kind": "Event", "object": "stop"})
    truth.thread(metrics, "aggregate", state="running")
    truth.main("Thread._wait_for_tstate_lock", waits_on={"kind": "join", "thread": "cache-refresh"})
    truth.notes.append("no deadlock: cache-refresh sleeps holding cache.lock (a convoy behind a slow call)")
    truth.notes.append("metrics never blocks: its innermost frame (aggregate) and line change from dump to dump")
    dumpkit.ready_when_blocked(truth)


def main():
    dumpkit.install_hooks()
    cache = Cache()
    refresher = threading.Thread(target=cache.refresh, name="cache-refresh")
    refresher.start()
    while "count=2" not in repr(cache.lock):
        time.sleep(0.01)
    requests = [threading.Thread(target=handle_request, args=(cache, n), name="request-%d" % n)
                for n in range(1, 11)]
    for t in requests:
        t.start()
    config_changed = threading.Condition()
    watcher = threading.Thread(target=watch_config, args=(config_changed, {}), name="config-watcher")
    watcher.start()
    stop = threading.Event()
    flusher = threading.Thread(target=flush_logs, args=(stop,), name="log-flusher")
    flusher.start()
    rng = random.Random(7)
    metrics = threading.Thread(target=aggregate, args=([rng.randrange(1000) for _ in range(2000)],),
                               name="metrics", daemon=True)
    metrics.start()

    describe(cache, refresher, requests, config_changed, watcher, stop, flusher, metrics)
    refresher.join()


if __name__ == "__main__":
    main()
