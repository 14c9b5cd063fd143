package com.example.shop;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Virtual threads (Java 21+; reached through reflection so that the file compiles with
 * --release 17 like the others):
 * - vt-stock-holder holds stockLock (ReentrantLock) and sleeps; vt-order-1..10 wait for it;
 * - vt-ledger-holder holds the Ledger monitor (synchronized) and sleeps; vt-ledger-1..3 are
 *   BLOCKED entering it (on Java 24+ they unmount instead of pinning their carrier);
 * - vt-poller-1..5 sleep.
 */
public class VirtualThreads {
    static final class Ledger {
        long entries;
    }

    static final ReentrantLock stockLock = new ReentrantLock();
    static final Ledger ledger = new Ledger();

    static Thread startVirtual(String name, Runnable task) {
        try {
            Class<?> builderType = Class.forName("java.lang.Thread$Builder");
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            builder = builderType.getMethod("name", String.class).invoke(builder, name);
            Method start = builderType.getMethod("start", Runnable.class);
            return (Thread) start.invoke(builder, task);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("virtual threads need Java 21 or later", e);
        }
    }

    static void holdStock() {
        stockLock.lock();
        try {
            Hang.sleep(600_000);
        } finally {
            stockLock.unlock();
        }
    }

    static void reserveStock() {
        stockLock.lock();
        try {
            System.out.println("reserved");
        } finally {
            stockLock.unlock();
        }
    }

    static void holdLedger() {
        synchronized (ledger) {
            Hang.sleep(600_000);
        }
    }

    static void appendLedger() {
        synchronized (ledger) {
            ledger.entries++;
        }
    }

    static void poll() {
        while (true) {
            Hang.sleep(600_000);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        Thread stockHolder = startVirtual("vt-stock-holder", VirtualThreads::holdStock);
        Hang.await("stock lock held", stockLock::isLocked);
        Thread ledgerHolder = startVirtual("vt-ledger-holder", VirtualThreads::holdLedger);
        Hang.await("ledger held", () -> ledgerHolder.getState() == Thread.State.TIMED_WAITING);

        List<Thread> orders = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            orders.add(startVirtual("vt-order-" + i, VirtualThreads::reserveStock));
        }
        List<Thread> ledgerWriters = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ledgerWriters.add(startVirtual("vt-ledger-" + i, VirtualThreads::appendLedger));
        }
        List<Thread> pollers = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            pollers.add(startVirtual("vt-poller-" + i, VirtualThreads::poll));
        }
        Hang.await("virtual threads settled", () -> stockLock.getQueueLength() == 10
                && Hang.allIn(Thread.State.WAITING, orders)
                && Hang.allIn(Thread.State.BLOCKED, ledgerWriters)
                && Hang.allIn(Thread.State.TIMED_WAITING, pollers)
                && stockHolder.getState() == Thread.State.TIMED_WAITING);
        Hang.ready("20 virtual threads: 10 waiting for stockLock, 3 blocked on Ledger, 5 sleeping");
        Thread.sleep(600_000);
    }
}
