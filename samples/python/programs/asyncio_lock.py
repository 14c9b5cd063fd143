"""An asyncio service: a session-refresh task takes an asyncio.Lock and,
holding it, awaits a reply that never comes (a Future nobody resolves); five
request handler tasks await the same lock. Every task is suspended and the
event loop sleeps in its selector: a thread dump shows one thread, idle in
select(), and none of the tasks.
"""
import asyncio

import dumpkit


class Sessions:
    def __init__(self):
        self.lock = asyncio.Lock()
        self.token = None

    async def refresh(self, reply):
        async with self.lock:
            self.token = await reply  # never resolved

    async def current(self):
        async with self.lock:  # suspended: session-refresh holds it
            return self.token


async def handle(sessions, n):
    token = await sessions.current()
    return "request %d with %s" % (n, token)


def _task_record(task, waits_on=None, holds=()):
    """A task as asyncio knows it, with its await chain (coroutine awaiting
    coroutine; the innermost one awaits a Future), innermost first."""
    stack = []
    coro = task.get_coro()
    while getattr(coro, "cr_frame", None) is not None:
        f = coro.cr_frame
        stack.insert(0, {"function": f.f_code.co_name, "qualname": f.f_code.co_qualname,
                         "file": dumpkit.short_path(f.f_code.co_filename), "line": f.f_lineno})
        coro = coro.cr_await
    d = {"name": task.get_name(), "state": "suspended", "id": id(task), "id_hex": "0x%x" % id(task),
         "coroutine": task.get_coro().__qualname__, "await_stack": stack}
    if waits_on:
        d["waits_on"] = waits_on
    if holds:
        d["holds"] = list(holds)
    return d


def describe(sessions, reply, refresher, handlers):
    """The ground truth, checked by dumpkit before the program says `ready`."""
    truth = dumpkit.Truth("asyncio-lock", __doc__.split("\n\n")[0].replace("\n", " "))
    truth.obj("sessions.lock", sessions.lock, "asyncio.Lock", held_by="session-refresh", container=("sessions", sessions))
    truth.obj("reply", reply, "asyncio.Future")
    truth.tasks.append(_task_record(refresher, {"kind": "Future", "object": "reply"}, holds=["sessions.lock"]))
    for t in handlers:
        truth.tasks.append(_task_record(t, {"kind": "asyncio.Lock", "object": "sessions.lock"}))
    truth.main("EpollSelector.select", waits_on={"kind": "selector", "call": "epoll.poll(-1)"},
               runs="the asyncio event loop (asyncio.run(main()) in <module>)")
    truth.notes.append("the tasks are not threads: no thread dump shows them; only the event loop's thread, "
                       "idle in the selector with nothing scheduled")
    me = asyncio.current_task()
    truth.tasks.insert(0, {"name": me.get_name(), "state": "suspended", "id": id(me), "id_hex": "0x%x" % id(me),
                           "coroutine": "main", "waits_on": {"kind": "gather", "tasks": [
                               t.get_name() for t in [refresher] + handlers]},
                           "note": "asyncio.run's task; the loop is idle (and `ready` printed) only once it "
                                   "awaits asyncio.gather of the other tasks, in main()"})
    dumpkit.ready_when_blocked(truth)


async def main():
    sessions = Sessions()
    reply = asyncio.get_running_loop().create_future()
    refresher = asyncio.create_task(sessions.refresh(reply), name="session-refresh")
    await asyncio.sleep(0)
    handlers = [asyncio.create_task(handle(sessions, n), name="request-%d" % n) for n in range(1, 6)]
    while len(sessions.lock._waiters or ()) < len(handlers):
        await asyncio.sleep(0.01)

    describe(sessions, reply, refresher, handlers)
    await asyncio.gather(refresher, *handlers)


if __name__ == "__main__":
    dumpkit.install_hooks()
    asyncio.run(main())
