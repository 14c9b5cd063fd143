"""Two transfers lock the same two accounts in opposite order (AB-BA) and
deadlock; an audit that sums the balances then waits on one of the accounts
for ever, and the main thread waits for the transfers to finish.

With CRASH_FILE set, a health-check thread also waits for its turn and then
reads a status block through a null pointer (ctypes.string_at(0)): the
process dies of SIGSEGV with the other threads still blocked, and
faulthandler writes its `Fatal Python error: Segmentation fault` dump.
"""
import ctypes
import threading
import time

import dumpkit


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src, dst, amount, both_locked):
    with src.lock:
        both_locked.wait()  # both transfers now hold their first account
        with dst.lock:  # blocks: the other transfer holds dst
            src.balance -= amount
            dst.balance += amount


def audit(accounts):
    total = 0
    for account in accounts:
        with account.lock:  # blocks on checking, held by transfer-1
            total += account.balance
    return total


def read_status(address):
    return ctypes.string_at(address)  # address 0: strlen(NULL), SIGSEGV


def health_check(go):
    go.wait()
    dumpkit.checker_gone()
    read_status(0)


def describe(checking, savings, t1, t2, auditor):
    """The ground truth, checked by dumpkit before the program says `ready`."""
    truth = dumpkit.Truth("lock-deadlock", __doc__.split("\n\n")[0].replace("\n", " "))
    truth.obj("checking.lock", checking.lock, "Lock", held_by="transfer-1", container=("checking", checking))
    truth.obj("savings.lock", savings.lock, "Lock", held_by="transfer-2", container=("savings", savings))
    truth.thread(t1, "transfer", waits_on={"kind": "Lock", "object": "savings.lock"}, holds=["checking.lock"])
    truth.thread(t2, "transfer", waits_on={"kind": "Lock", "object": "checking.lock"}, holds=["savings.lock"])
    truth.thread(auditor, "audit", waits_on={"kind": "Lock", "object": "checking.lock"})
    truth.deadlock("transfer-1", "transfer-2")
    after_ready = None
    if dumpkit.crash_mode:
        go = threading.Event()
        health = threading.Thread(target=health_check, args=(go,), name="health-check", daemon=True)
        health.start()
        truth.obj("health-check.go", go, "Event")
        truth.thread(health, "Condition.wait", waits_on={"kind": "Event", "object": "health-check.go"},
                     then="once the process is ready: go is set, and it calls read_status(0), "
                          "ctypes.string_at(0): SIGSEGV in this thread",
                     crash_site={"function": "read_status", "file": "lock_deadlock.py",
                                 "line": read_status.__code__.co_firstlineno + 1})
        truth.notes.append("the crash dump is written after `ready`: health-check is then the current "
                           "(crashing) thread, in read_status -> ctypes.string_at; every other thread is "
                           "where this file says")
        after_ready = go.set
    truth.main("Thread._wait_for_tstate_lock", waits_on={"kind": "join", "thread": "transfer-1"})
    dumpkit.ready_when_blocked(truth, after_ready=after_ready)


def main():
    dumpkit.install_hooks()
    checking = Account("checking", 1200)
    savings = Account("savings", 5000)
    both_locked = threading.Barrier(2)
    t1 = threading.Thread(target=transfer, args=(checking, savings, 100, both_locked), name="transfer-1")
    t2 = threading.Thread(target=transfer, args=(savings, checking, 250, both_locked), name="transfer-2")
    t1.start()
    t2.start()
    while not (checking.lock.locked() and savings.lock.locked()):
        time.sleep(0.01)
    auditor = threading.Thread(target=audit, args=([checking, savings],), name="audit")
    auditor.start()

    describe(checking, savings, t1, t2, auditor)
    t1.join()
    t2.join()
    auditor.join()


if __name__ == "__main__":
    main()
