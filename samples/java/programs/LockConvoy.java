package com.example.shop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A lock convoy: cache-refresher holds the PriceCache monitor in a synchronized method
 * while it sleeps (a slow backend call stands in), and 20 request threads are BLOCKED
 * entering the synchronized price() method of the same object.
 */
public class LockConvoy {
    static final class PriceCache {
        private final Map<String, Long> prices = new HashMap<>();

        synchronized void refresh(CountDownLatch entered) {
            entered.countDown();
            // The backend call that never returns in time.
            Hang.sleep(600_000);
            prices.clear();
        }

        synchronized long price(String sku) {
            return prices.getOrDefault(sku, 0L);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        PriceCache cache = new PriceCache();
        CountDownLatch entered = new CountDownLatch(1);
        Thread refresher = new Thread(() -> cache.refresh(entered), "cache-refresher");
        refresher.start();
        entered.await();

        List<Thread> requests = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            String sku = "sku-" + i;
            Thread t = new Thread(() -> cache.price(sku), "request-" + i);
            requests.add(t);
            t.start();
        }
        Hang.await("20 requests blocked", () -> Hang.allIn(Thread.State.BLOCKED, requests));
        Hang.ready("cache-refresher holds PriceCache, 20 requests blocked");
        Thread.sleep(600_000);
    }
}
