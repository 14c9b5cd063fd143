package com.example.shop;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small service at rest: an HTTP server on loopback with no traffic (its dispatcher
 * thread RUNNABLE in epoll), an idle fixed pool of 4 (io-worker-1..4, each ran one task),
 * a scheduled executor (metrics-scheduler) flushing every 30 s, a heartbeat thread that
 * sleeps between beats, and main sleeping. Nothing is stuck.
 */
public class Healthy {
    static ThreadFactory named(String prefix) {
        AtomicInteger next = new AtomicInteger(1);
        return r -> new Thread(r, prefix + next.getAndIncrement());
    }

    static final AtomicLong beats = new AtomicLong();

    static void heartbeat() {
        while (true) {
            beats.incrementAndGet();
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/health", exchange -> {
            byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        ExecutorService io = Executors.newFixedThreadPool(4, named("io-worker-"));
        http.setExecutor(io);
        http.start();

        List<Future<?>> warmup = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            warmup.add(io.submit(() -> beats.get()));
        }
        for (Future<?> f : warmup) {
            f.get();
        }

        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(named("metrics-scheduler-"));
        scheduler.scheduleAtFixedRate(() -> beats.get(), 0, 30, TimeUnit.SECONDS);

        Thread heart = new Thread(Healthy::heartbeat, "heartbeat");
        heart.setDaemon(true);
        heart.start();

        Hang.await("io workers idle, scheduler waiting", () -> {
            int idle = 0;
            boolean scheduled = false;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("io-worker-") && t.getState() == Thread.State.WAITING) {
                    idle++;
                }
                if (t.getName().equals("metrics-scheduler-1") && t.getState() == Thread.State.TIMED_WAITING) {
                    scheduled = true;
                }
            }
            return idle == 4 && scheduled;
        });
        Hang.ready("idle service, http on port " + http.getAddress().getPort());
        Thread.sleep(600_000);
        http.stop(0);
    }

}
