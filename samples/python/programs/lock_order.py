"""Two workers take two module-level locks in opposite order (AB-BA) and
deadlock: place-order holds `orders` and waits for `inventory`, restock
holds `inventory` and waits for `orders`; three idle threads sleep in a
loop, and the main thread waits for place-order to finish.
"""
import threading
import time

import dumpkit

orders = threading.Lock()
inventory = threading.Lock()
both_hold_one = threading.Barrier(2)
open_orders = 0
stock = 0


def place_order():
    global open_orders, stock
    with orders:
        open_orders += 1
        both_hold_one.wait()
        with inventory:  # blocks: restock holds inventory
            stock -= 1


def restock():
    global open_orders, stock
    inventory.acquire()
    try:
        stock += 10
        both_hold_one.wait()
        orders.acquire()  # blocks: place-order holds orders
        open_orders -= 1
        orders.release()
    finally:
        inventory.release()


def idle_loop():
    while True:
        time.sleep(60)


def main():
    dumpkit.install_hooks()
    idle = [threading.Thread(target=idle_loop, name="idle-%d" % i, daemon=True) for i in (1, 2, 3)]
    for t in idle:
        t.start()
    placer = threading.Thread(target=place_order, name="place-order")
    restocker = threading.Thread(target=restock, name="restock")
    placer.start()
    restocker.start()
    while not (orders.locked() and inventory.locked()):
        time.sleep(0.01)
    truth = dumpkit.Truth("lock-order", __doc__.split("\n\n")[0].replace("\n", " "))
    truth.obj("orders", orders, "Lock", held_by="place-order")
    truth.obj("inventory", inventory, "Lock", held_by="restock")
    truth.thread(placer, "place_order", waits_on={"kind": "Lock", "object": "inventory"}, holds=["orders"])
    truth.thread(restocker, "restock", waits_on={"kind": "Lock", "object": "orders"}, holds=["inventory"])
    for t in idle:
        truth.thread(t, "idle_loop", waits_on={"kind": "sleep"}, state="sleeping")
    truth.deadlock("place-order", "restock")
    truth.main("Thread._wait_for_tstate_lock", waits_on={"kind": "join", "thread": "place-order"})
    dumpkit.ready_when_blocked(truth)
    placer.join()


if __name__ == "__main__":
    main()
