package com.example.shop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread-pool starvation: a fixed pool of 8 workers (worker-1..8) runs 8 report tasks,
 * each of which submits a subtask to the same pool and waits for its Future. The 8
 * subtasks sit in the queue behind them, so every worker waits forever. Then
 * request-1 and request-2 submit a report each and wait for its Future, and 4 more
 * reports are submitted: 14 tasks queued in all.
 */
public class PoolExhaustion {
    static final class NamedFactory implements ThreadFactory {
        private final AtomicInteger next = new AtomicInteger(1);

        @Override
        public Thread newThread(Runnable r) {
            return new Thread(r, "worker-" + next.getAndIncrement());
        }
    }

    static ThreadPoolExecutor pool;
    static final AtomicInteger waitingForParts = new AtomicInteger();
    // The first 8 reports each start on a worker of their own before any of them submits
    // its subtask, so that every subtask goes to the queue (none gets a new thread).
    static final CountDownLatch firstReportsRunning = new CountDownLatch(8);

    static long buildReport() throws InterruptedException, ExecutionException {
        firstReportsRunning.countDown();
        firstReportsRunning.await();
        Future<Long> part = pool.submit(PoolExhaustion::sumRows);
        waitingForParts.incrementAndGet();
        return part.get();
    }

    static long sumRows() {
        return 42L;
    }

    static void handleRequest() {
        try {
            Future<Long> report = pool.submit((Callable<Long>) PoolExhaustion::buildReport);
            System.out.println("report " + report.get());
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        pool = new ThreadPoolExecutor(8, 8, 0L, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), new NamedFactory());
        List<Future<Long>> reports = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            reports.add(pool.submit((Callable<Long>) PoolExhaustion::buildReport));
        }
        Hang.await("8 workers waiting, 8 subtasks queued",
                () -> waitingForParts.get() == 8 && pool.getQueue().size() == 8 && workersWaiting() == 8);

        List<Thread> requests = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Thread t = new Thread(PoolExhaustion::handleRequest, "request-" + i);
            requests.add(t);
            t.start();
        }
        for (int i = 0; i < 4; i++) {
            reports.add(pool.submit((Callable<Long>) PoolExhaustion::buildReport));
        }
        Hang.await("14 tasks queued, requests waiting",
                () -> pool.getQueue().size() == 14 && Hang.allIn(Thread.State.WAITING, requests));
        Hang.ready("8 of 8 workers waiting on subtasks, 14 tasks queued");
        Thread.sleep(600_000);
    }

    static int workersWaiting() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("worker-") && t.getState() == Thread.State.WAITING) {
                n++;
            }
        }
        return n;
    }
}
