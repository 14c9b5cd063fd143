package com.example.shop;

import java.util.function.BooleanSupplier;

/** Small helpers shared by the sample programs: wait for a state, announce it. */
final class Hang {
    private Hang() {}

    /** Polls until cond holds; exits with status 2 after 30 seconds. */
    static void await(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                System.out.println("timeout waiting for " + what);
                System.exit(2);
            }
            sleep(20);
        }
    }

    /** The line the generate script waits for. */
    static void ready(String detail) {
        System.out.println("ready: " + detail);
        System.out.flush();
    }

    static boolean allIn(Thread.State state, Iterable<Thread> threads) {
        for (Thread t : threads) {
            if (t.getState() != state) {
                return false;
            }
        }
        return true;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
