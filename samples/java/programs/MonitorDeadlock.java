package com.example.shop;

import java.lang.management.ManagementFactory;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/**
 * Two deadlocks on intrinsic locks (synchronized):
 * - transfer-A-to-B and transfer-B-to-A lock two Account objects in opposite order (AB-BA);
 * - philosopher-1..3 each hold their left fork (a plain Object) and wait for the right one,
 *   a three-thread cycle.
 * A barrier makes every thread hold its first lock before it asks for the second.
 */
public class MonitorDeadlock {
    static final class Account {
        final String id;
        long balance;

        Account(String id, long balance) {
            this.id = id;
            this.balance = balance;
        }
    }

    static void transfer(Account from, Account to, long amount, CyclicBarrier bothHoldFirst) {
        synchronized (from) {
            pass(bothHoldFirst);
            synchronized (to) {
                from.balance -= amount;
                to.balance += amount;
            }
        }
    }

    static void dine(Object left, Object right, CyclicBarrier allHoldLeft) {
        synchronized (left) {
            pass(allHoldLeft);
            synchronized (right) {
                System.out.println(Thread.currentThread().getName() + " eats");
            }
        }
    }

    static void pass(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (InterruptedException | BrokenBarrierException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        Account a = new Account("A", 100);
        Account b = new Account("B", 100);
        CyclicBarrier two = new CyclicBarrier(2);
        Thread ab = new Thread(() -> transfer(a, b, 10, two), "transfer-A-to-B");
        Thread ba = new Thread(() -> transfer(b, a, 20, two), "transfer-B-to-A");

        Object[] forks = {new Object(), new Object(), new Object()};
        CyclicBarrier three = new CyclicBarrier(3);
        Thread[] philosophers = new Thread[3];
        for (int i = 0; i < 3; i++) {
            Object left = forks[i];
            Object right = forks[(i + 1) % 3];
            philosophers[i] = new Thread(() -> dine(left, right, three), "philosopher-" + (i + 1));
        }

        ab.start();
        ba.start();
        for (Thread p : philosophers) {
            p.start();
        }
        Hang.await("5 deadlocked threads", () -> {
            long[] ids = ManagementFactory.getThreadMXBean().findMonitorDeadlockedThreads();
            return ids != null && ids.length == 5;
        });
        Hang.ready("2 monitor deadlocks (2 and 3 threads)");
        ab.join();
    }
}
