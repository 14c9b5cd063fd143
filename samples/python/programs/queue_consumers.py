"""Six consumers wait on a job queue whose only producer died: the producer
thread raised while parsing its first batch (its traceback is on stderr,
printed by threading.excepthook), nothing ever puts a job, and the consumers
block in Queue.get() for ever. The main thread waits for a shutdown Event
that nobody sets.
"""
import json
import queue
import threading

import dumpkit

BATCH = '[{"id": 1, "size": 10}, {"id": 2, "size": 12}, {"id": 3, "size": '


def produce(jobs):
    for job in json.loads(BATCH):  # raises: the batch was cut off
        jobs.put(job)


def consume(jobs, done):
    while True:
        job = jobs.get()  # blocks: nothing is ever put
        done.append(job["id"])
        jobs.task_done()


def describe(jobs, shutdown, consumers, producer):
    """The ground truth, checked by dumpkit before the program says `ready`."""
    truth = dumpkit.Truth("queue-consumers", __doc__.split("\n\n")[0].replace("\n", " "))
    truth.obj("jobs", jobs, "Queue", mutex=jobs.mutex, not_empty=jobs.not_empty,
              not_full=jobs.not_full, all_tasks_done=jobs.all_tasks_done)
    truth.obj("shutdown", shutdown, "Event", cond=shutdown._cond, lock=shutdown._cond._lock)
    for t in consumers:
        truth.thread(t, "Condition.wait", waits_on={"kind": "Queue.get", "object": "jobs"})
    truth.dead(producer, "json.decoder.JSONDecodeError raised in produce (json.loads of a cut-off batch); "
                         "threading.excepthook printed it on stderr")
    truth.main("Condition.wait", waits_on={"kind": "Event", "object": "shutdown"})
    truth.notes.append("Queue.get waits in jobs.not_empty.wait(), Event.wait in its Condition's wait(): "
                       "each waiting thread sleeps on a lock of its own (waiter_lock), made by that wait")
    dumpkit.ready_when_blocked(truth)


def main():
    dumpkit.install_hooks()
    jobs = queue.Queue(maxsize=100)
    done = []
    shutdown = threading.Event()
    consumers = [threading.Thread(target=consume, args=(jobs, done), name="consumer-%d" % i, daemon=True)
                 for i in range(1, 7)]
    for t in consumers:
        t.start()
    producer = threading.Thread(target=produce, args=(jobs,), name="producer", daemon=True)
    producer.start()
    producer.join()

    describe(jobs, shutdown, consumers, producer)
    shutdown.wait()


if __name__ == "__main__":
    main()
