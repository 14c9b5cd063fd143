"""What the sample programs share: the dump hooks that generate.sh asks for,
the wait until every thread has reached its blocking point, and the ground
truth each program writes about itself.

Environment (all optional):
  FAULTHANDLER_FILE  faulthandler.register(SIGUSR1, all_threads=True) writes here
  SEVERAL_FILE       faulthandler.register(SIGUSR2, all_threads=True) writes here
  TIMEOUT_FILE       faulthandler.dump_traceback_later(TIMEOUT_SECONDS) writes
                     here; armed once every thread is blocked
  CRASH_FILE         faulthandler.enable(all_threads=True) writes here; the
                     program then crashes on purpose (see each program)
  TRUTH_FILE         the ground truth (JSON), written just before `ready`

The program declares its threads and objects (what each thread waits on,
which thread holds which lock); a short-lived thread checks it against the
running process before it prints `ready` and exits:
  - every declared thread is alive (or dead, when declared dead);
  - each blocked thread's innermost Python frame is the declared function and
    the thread sleeps in the kernel (/proc/self/task/TID/syscall), the same
    in two looks 0.3 s apart;
  - every Lock declared held is locked, every RLock's owner and count are the
    declared ones.
"""
import faulthandler
import json
import os
import platform
import re
import signal
import sys
import sysconfig
import threading
import time

_open_files = []  # faulthandler writes to their descriptors: keep them open
_checker = None
crash_mode = bool(os.environ.get("CRASH_FILE"))

# x86_64 system call numbers of the sleeps the samples end up in
SYSCALLS = {
    "7": "poll", "23": "select", "35": "nanosleep", "202": "futex",
    "230": "clock_nanosleep", "232": "epoll_wait", "270": "pselect6",
    "271": "ppoll", "281": "epoll_pwait", "441": "epoll_pwait2",
}


def _open(var):
    path = os.environ.get(var)
    if not path:
        return None
    f = open(path, "w")
    _open_files.append(f)
    return f


def install_hooks():
    """Install the faulthandler hooks that the environment asks for."""
    f = _open("FAULTHANDLER_FILE")
    if f:
        faulthandler.register(signal.SIGUSR1, file=f, all_threads=True)
    f = _open("SEVERAL_FILE")
    if f:
        faulthandler.register(signal.SIGUSR2, file=f, all_threads=True)
    f = _open("CRASH_FILE")
    if f:
        faulthandler.enable(file=f, all_threads=True)


def _type(obj):
    return type(obj).__module__ + "." + type(obj).__qualname__


def _obj_id(obj):
    return {"id": id(obj), "id_hex": "0x%x" % id(obj)}


class Truth:
    def __init__(self, program, description):
        self.program = program
        self.description = " ".join(description.split())
        self.objects = {}      # name -> dict
        self._objs = {}        # name -> the object itself
        self.threads = []      # dicts; "_thread" holds the Thread
        self.deadlocks = []
        self.notes = []
        self.tasks = []        # asyncio tasks, for the asyncio program

    # --- declarations -------------------------------------------------
    def obj(self, name, obj, kind, held_by=None, count=None, container=None, **parts):
        """A synchronisation object. parts: its inner objects (name -> obj),
        recorded by id (a Queue's mutex and not_empty Condition, ...).
        container: (name, object) whose attribute it is, also by id (what
        py-spy --locals shows as `self: <Cache at 0x...>`)."""
        d = {"name": name, "kind": kind, "type": _type(obj)}
        d.update(_obj_id(obj))
        if container is not None:
            d["attribute_of"] = dict(name=container[0], type=_type(container[1]), **_obj_id(container[1]))
        if held_by is not None:
            d["held_by"] = held_by
        if count is not None:
            d["count"] = count
        if parts:
            d["parts"] = {k: dict(_obj_id(v), type=_type(v))
                          for k, v in parts.items()}
        self.objects[name] = d
        self._objs[name] = obj
        return obj

    def thread(self, t, at, waits_on=None, holds=(), state="blocked", **extra):
        """A thread. at: the qualified name of its innermost Python function
        while it waits (checked). waits_on: {"kind": ..., "object": name} or
        {"kind": "join", "thread": name}, {"kind": "sleep", ...}."""
        d = {"name": t.name, "state": state, "at": at, "waits_on": waits_on,
             "holds": list(holds), "_thread": t}
        d.update(extra)
        self.threads.append(d)

    def main(self, at, waits_on=None, holds=(), **extra):
        self.thread(threading.main_thread(), at, waits_on, holds, **extra)

    def dead(self, t, why):
        self.threads.append({"name": t.name, "state": "dead", "why": why, "_thread": t})

    def deadlock(self, *names):
        self.deadlocks.append(list(names))

    # --- checking -------------------------------------------------------
    def _look(self):
        frames = sys._current_frames()
        seen = {}
        for d in self.threads:
            t = d["_thread"]
            if d["state"] == "dead":
                if t.is_alive():
                    return None
                continue
            if not t.is_alive() or t.ident not in frames:
                return None
            f = frames[t.ident]
            if f.f_code.co_qualname != d["at"]:
                return None
            syscall = _syscall(t.native_id)
            if d["state"] in ("blocked", "sleeping") and syscall is None:
                return None
            seen[t.name] = (f, syscall)
        return seen

    def _check_objects(self):
        by_ident = {d["_thread"].ident: d["name"] for d in self.threads if d["state"] != "dead"}
        for name, d in self.objects.items():
            obj = self._objs[name]
            if d["kind"] == "Lock" and "held_by" in d:
                assert obj.locked(), name + " is not locked"
            if d["kind"] == "RLock" and "held_by" in d:
                m = re.search(r"owner=(\d+) count=(\d+)", repr(obj))
                assert m, repr(obj)
                owner, count = by_ident.get(int(m.group(1))), int(m.group(2))
                assert owner == d["held_by"], (name, owner)
                assert count == d.get("count", count), (name, count)
                d["count"] = count
                d["repr_at_ready"] = re.sub(r" at 0x[0-9a-f]+>$", ">", repr(obj))

    def _record(self, seen):
        threads = []
        for d in self.threads:
            t = d["_thread"]
            out = {k: v for k, v in d.items() if not k.startswith("_") and v not in (None, [])}
            out["ident"] = t.ident
            out["ident_hex"] = "0x%016x" % t.ident if t.ident else None
            out["native_id"] = t.native_id
            w = out.get("waits_on")
            if w and w.get("object") in self.objects:
                o = self.objects[w["object"]]
                w = out["waits_on"] = dict(w, id=o["id"], id_hex=o["id_hex"])
                if "held_by" in o:
                    w["held_by"] = o["held_by"]
            out["daemon"] = t.daemon
            if t.name in seen:
                f, syscall = seen[t.name]
                if syscall:
                    out["kernel_wait"] = syscall
                out["stack"] = _stack(f)
                waiter = _waiter_of(f)
                if waiter is not None:
                    out["waiter_lock"] = _obj_id(waiter)
            threads.append(out)
        return threads

    def _cycle(self, names):
        """A declared deadlock: each thread, the lock it waits on, and that
        lock's holder (the next thread on the cycle)."""
        edges = []
        for name in names:
            d = next(d for d in self.threads if d["name"] == name)
            lock = self.objects[d["waits_on"]["object"]]
            edges.append({"thread": name, "waits_on": lock["name"], "id_hex": lock["id_hex"],
                          "held_by": lock["held_by"]})
        for e, nxt in zip(edges, edges[1:] + edges[:1]):
            assert e["held_by"] == nxt["thread"], (e, nxt)
        return {"threads": list(names), "edges": edges}

    def write(self, seen):
        truth = {
            "program": self.program,
            "description": self.description,
            "pid": os.getpid(),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "threads": self._record(seen),
            "objects": list(self.objects.values()),
            "deadlocks": [self._cycle(names) for names in self.deadlocks],
        }
        if self.tasks:
            truth["tasks"] = self.tasks
        if self.notes:
            truth["notes"] = self.notes
        path = os.environ.get("TRUTH_FILE")
        if path:
            with open(path, "w") as f:
                json.dump(truth, f, indent=2)
                f.write("\n")


def _syscall(native_id):
    """The system call a thread sleeps in, or None while it runs."""
    try:
        with open("/proc/self/task/%d/syscall" % native_id) as f:
            first = f.read().split()[0]
    except (OSError, IndexError):
        return None
    if first == "running":
        return None
    return SYSCALLS.get(first, "syscall " + first)


_stdlib = sysconfig.get_paths()["stdlib"]
_progdir = os.path.dirname(os.path.abspath(__file__))


def short_path(path):
    """A frame's file, relative to the standard library or to this directory."""
    for base in (_stdlib, _progdir):
        if path.startswith(base + os.sep):
            return os.path.relpath(path, base)
    return os.path.basename(path)


def _stack(f):
    """Innermost frame first: co_name (as faulthandler prints it), co_qualname
    (as py-spy prints it), file, current line."""
    frames = []
    while f is not None:
        code = f.f_code
        frames.append({"function": code.co_name, "qualname": code.co_qualname,
                       "file": short_path(code.co_filename), "line": f.f_lineno})
        f = f.f_back
    return frames


def _waiter_of(f):
    """The lock a thread sleeps on inside Condition.wait (a new one per wait)."""
    while f is not None:
        if f.f_code.co_qualname == "Condition.wait" and "waiter" in f.f_locals:
            return f.f_locals["waiter"]
        f = f.f_back
    return None


def _check_loop(truth, before_ready, after_ready):
    deadline = time.monotonic() + 60
    previous = None
    while True:
        if time.monotonic() > deadline:
            print("not ready after 60 s", file=sys.stderr, flush=True)
            os._exit(3)
        seen = truth._look()
        if seen is not None:
            key = {n: (f.f_lineno, s) for n, (f, s) in seen.items()
                   if next(d for d in truth.threads if d["name"] == n)["state"] != "running"}
            if key == previous:
                break
            previous = key
        else:
            previous = None
        time.sleep(0.3)
    truth._check_objects()
    if before_ready:
        before_ready()
    truth.write(seen)
    del seen
    print("ready", flush=True)
    f = _open("TIMEOUT_FILE")
    if f:
        faulthandler.dump_traceback_later(float(os.environ.get("TIMEOUT_SECONDS", "5")), file=f)
    if after_ready:
        after_ready()


def ready_when_blocked(truth, before_ready=None, after_ready=None):
    """Start the thread that prints `ready` once every declared thread is
    where it was declared to be. It exits right after."""
    global _checker
    _checker = threading.Thread(target=_check_loop, args=(truth, before_ready, after_ready),
                                name="ready-check", daemon=True)
    _checker.start()


def checker_gone():
    """Wait until the ready-check thread has exited (it is in no dump)."""
    _checker.join()
