package com.example.shop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Threads waiting for a signal that never comes; nobody holds a lock they need:
 * - order-waiter-1..3 in Object.wait() on a Mailbox nobody notifies;
 * - mailbox-janitor in Object.wait(timeout) on the same Mailbox, in a loop;
 * - consumer-1..2 in Condition.await() of a ReentrantLock, nothing ever produced;
 * - event-taker in LinkedBlockingQueue.take() on an empty queue;
 * - startup-gate in CountDownLatch.await() on a latch never counted down.
 */
public class WaitNotify {
    static final class Mailbox {
        boolean delivered;
    }

    static final Mailbox mailbox = new Mailbox();
    static final ReentrantLock bufferLock = new ReentrantLock();
    static final Condition notEmpty = bufferLock.newCondition();
    static int buffered;
    static final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    static final CountDownLatch started = new CountDownLatch(1);

    static void awaitDelivery() {
        synchronized (mailbox) {
            while (!mailbox.delivered) {
                try {
                    mailbox.wait();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    static void sweepMailbox() {
        synchronized (mailbox) {
            while (true) {
                try {
                    mailbox.wait(600_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    static void consume() {
        bufferLock.lock();
        try {
            while (buffered == 0) {
                notEmpty.await();
            }
            buffered--;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            bufferLock.unlock();
        }
    }

    static void takeEvent() {
        try {
            System.out.println("event " + events.take());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void awaitStartup() {
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) throws InterruptedException {
        List<Thread> waiting = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            waiting.add(new Thread(WaitNotify::awaitDelivery, "order-waiter-" + i));
        }
        for (int i = 1; i <= 2; i++) {
            waiting.add(new Thread(WaitNotify::consume, "consumer-" + i));
        }
        waiting.add(new Thread(WaitNotify::takeEvent, "event-taker"));
        waiting.add(new Thread(WaitNotify::awaitStartup, "startup-gate"));
        Thread janitor = new Thread(WaitNotify::sweepMailbox, "mailbox-janitor");
        for (Thread t : waiting) {
            t.start();
        }
        janitor.start();
        Hang.await("7 threads waiting, janitor in timed wait",
                () -> Hang.allIn(Thread.State.WAITING, waiting)
                        && janitor.getState() == Thread.State.TIMED_WAITING);
        Hang.ready("7 threads waiting for signals nobody sends, 1 in a timed wait");
        Thread.sleep(600_000);
    }
}
