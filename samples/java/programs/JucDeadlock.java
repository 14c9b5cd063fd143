package com.example.shop;

import java.lang.management.ManagementFactory;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Two deadlocks on java.util.concurrent locks:
 * - ledger-writer holds ledgerLock (fair ReentrantLock) and waits for inventoryLock
 *   (nonfair ReentrantLock), inventory-writer holds inventoryLock and waits for ledgerLock;
 * - catalog-writer holds the write lock of catalogLock and waits for the write lock of
 *   pricesLock, price-writer the other way round (ReentrantReadWriteLock, nonfair).
 * report-reader is not in a cycle: it waits for ledgerLock behind the first deadlock.
 */
public class JucDeadlock {
    static final ReentrantLock ledgerLock = new ReentrantLock(true);
    static final ReentrantLock inventoryLock = new ReentrantLock();
    static final ReentrantReadWriteLock catalogLock = new ReentrantReadWriteLock();
    static final ReentrantReadWriteLock pricesLock = new ReentrantReadWriteLock();

    static void both(Lock first, Lock second, CyclicBarrier bothHoldFirst) {
        first.lock();
        try {
            try {
                bothHoldFirst.await();
            } catch (InterruptedException | BrokenBarrierException e) {
                throw new IllegalStateException(e);
            }
            second.lock();
            try {
                System.out.println(Thread.currentThread().getName() + " done");
            } finally {
                second.unlock();
            }
        } finally {
            first.unlock();
        }
    }

    static void postLedgerEntry() {
        both(ledgerLock, inventoryLock, ledgerBarrier);
    }

    static void adjustInventory() {
        both(inventoryLock, ledgerLock, ledgerBarrier);
    }

    static void updateCatalog() {
        both(catalogLock.writeLock(), pricesLock.writeLock(), catalogBarrier);
    }

    static void updatePrices() {
        both(pricesLock.writeLock(), catalogLock.writeLock(), catalogBarrier);
    }

    static void readReport() {
        ledgerLock.lock();
        try {
            System.out.println("report read");
        } finally {
            ledgerLock.unlock();
        }
    }

    static final CyclicBarrier ledgerBarrier = new CyclicBarrier(2);
    static final CyclicBarrier catalogBarrier = new CyclicBarrier(2);

    public static void main(String[] args) throws InterruptedException {
        Thread ledger = new Thread(JucDeadlock::postLedgerEntry, "ledger-writer");
        Thread inventory = new Thread(JucDeadlock::adjustInventory, "inventory-writer");
        Thread catalog = new Thread(JucDeadlock::updateCatalog, "catalog-writer");
        Thread prices = new Thread(JucDeadlock::updatePrices, "price-writer");
        ledger.start();
        inventory.start();
        catalog.start();
        prices.start();
        Hang.await("4 deadlocked threads", () -> {
            long[] ids = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
            return ids != null && ids.length == 4;
        });
        Thread reader = new Thread(JucDeadlock::readReport, "report-reader");
        reader.start();
        Hang.await("report-reader queued on ledgerLock", () -> ledgerLock.hasQueuedThread(reader));
        Hang.ready("2 deadlocks on j.u.c locks, 1 thread queued behind one");
        ledger.join();
    }
}
