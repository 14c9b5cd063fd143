package bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Writes the input of dumpscope's Java thread-dump benchmark (bench/threads.py):
 * starts N platform threads parked in the patterns of a busy service, prints
 * {@code ready} on stdout once every one of them is in its expected state, and
 * waits to be dumped ({@code jstack -l}) and killed.
 *
 * <pre>
 *   java -Xss256k -cp CLASSES bench.ThreadsGen [N]      (N defaults to 10000)
 * </pre>
 *
 * Shares of N:
 * <ul>
 *   <li>40% request handlers ({@code http-nio-8080-exec-*}) BLOCKED entering
 *       synchronized methods of 4 inventory caches, whose refresher threads sleep
 *       inside synchronized (a convoy per cache);
 *   <li>20% idle workers of 4 executors, parked in {@code getTask}
 *       ({@code LinkedBlockingQueue}, {@code ArrayBlockingQueue}, a timed poll,
 *       a scheduled pool's {@code DelayedWorkQueue});
 *   <li>15% payment workers parked on 3 ReentrantLocks (one fair, some in a timed
 *       {@code tryLock}), each held by a ledger writer that sleeps holding it;
 *   <li>10% report jobs in {@code Object.wait} on 8 connection pools that nobody
 *       notifies;
 *   <li>10% sleeping housekeeping threads (heartbeats, flushers, reapers);
 *   <li>5% on 5 AB-BA monitor deadlocks between account transfers: the pairs
 *       themselves, and transfers BLOCKED on the accounts the pairs hold.
 * </ul>
 * Every thread is started with a 256 KiB stack. If the JVM cannot start a
 * thread, it prints how many it started and exits with status 3.
 */
public final class ThreadsGen {
    static final long STACK = 256 * 1024;
    static final long LONG_TIME_MS = 3_600_000L;

    /** Every started thread with the state it must reach before "ready". */
    static final List<Thread> threads = new ArrayList<>();
    static final List<Thread.State> expected = new ArrayList<>();

    private ThreadsGen() {}

    static Thread start(String name, Runnable body, Thread.State state) {
        Thread t = new Thread(null, new ContextRunnable(body, name), name, STACK);
        track(t, state);
        t.start();
        return t;
    }

    static synchronized void track(Thread t, Thread.State state) {
        threads.add(t);
        expected.add(state);
    }

    /** What a service framework wraps around every thread body: a trace scope and an error guard. */
    static final class ContextRunnable implements Runnable {
        private final Runnable body;
        private final String traceId;

        ContextRunnable(Runnable body, String traceId) {
            this.body = body;
            this.traceId = traceId;
        }

        @Override
        public void run() {
            TraceScope.inScope(traceId, body);
        }
    }

    static final class TraceScope {
        static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

        static void inScope(String traceId, Runnable body) {
            CURRENT.set(traceId);
            try {
                ErrorGuard.run(body);
            } finally {
                CURRENT.remove();
            }
        }
    }

    static final class ErrorGuard {
        static void run(Runnable body) {
            try {
                body.run();
            } catch (RuntimeException e) {
                System.err.println(Thread.currentThread().getName() + ": " + e);
            }
        }
    }

    /** Sleeps for a long time (the slow call of a pattern). */
    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- 1. request handlers in a convoy behind a cache refresh --------------------

    static final class Request {
        final int id;
        final String path;

        Request(int id, String path) {
            this.id = id;
            this.path = path;
        }
    }

    interface Filter {
        void doFilter(Request req, FilterChain chain);
    }

    static final class FilterChain {
        private final Filter[] filters;
        private final Dispatcher dispatcher;
        private int pos;

        FilterChain(Filter[] filters, Dispatcher dispatcher) {
            this.filters = filters;
            this.dispatcher = dispatcher;
        }

        void doFilter(Request req) {
            if (pos < filters.length) {
                filters[pos++].doFilter(req, this);
            } else {
                dispatcher.dispatch(req);
            }
        }
    }

    static final class TracingFilter implements Filter {
        @Override
        public void doFilter(Request req, FilterChain chain) {
            chain.doFilter(req);
        }
    }

    static final class AuthFilter implements Filter {
        @Override
        public void doFilter(Request req, FilterChain chain) {
            if (req.id >= 0) {
                chain.doFilter(req);
            }
        }
    }

    static final class MetricsFilter implements Filter {
        @Override
        public void doFilter(Request req, FilterChain chain) {
            long t0 = System.nanoTime();
            chain.doFilter(req);
            Metrics.record(req.path, System.nanoTime() - t0);
        }
    }

    static final class Metrics {
        static volatile long last;

        static void record(String path, long nanos) {
            last = nanos;
        }
    }

    static final class InventoryCache {
        final String region;
        private final Map<String, Long> stock = new LinkedHashMap<>();

        InventoryCache(String region) {
            this.region = region;
        }

        /** The refresher: holds the cache's monitor across a slow backend call. */
        synchronized void refresh(CountDownLatch entered) {
            entered.countDown();
            Map<String, Long> fresh = InventoryBackend.fetchAll(region);
            stock.clear();
            stock.putAll(fresh);
        }

        synchronized long available(String sku) {
            return stock.getOrDefault(sku, 0L);
        }

        synchronized void reserve(String sku, long n) {
            stock.merge(sku, -n, Long::sum);
        }
    }

    static final class InventoryBackend {
        static Map<String, Long> fetchAll(String region) {
            return HttpJsonClient.get("http://inventory." + region + ".internal/v2/stock");
        }
    }

    static final class HttpJsonClient {
        static Map<String, Long> get(String url) {
            pause(LONG_TIME_MS);
            return new LinkedHashMap<>();
        }
    }

    static final class CacheRefresher implements Runnable {
        private final InventoryCache cache;
        private final CountDownLatch entered;

        CacheRefresher(InventoryCache cache, CountDownLatch entered) {
            this.cache = cache;
            this.entered = entered;
        }

        @Override
        public void run() {
            cache.refresh(entered);
        }
    }

    static final class OrderService {
        private final InventoryCache cache;

        OrderService(InventoryCache cache) {
            this.cache = cache;
        }

        long quote(Request req) {
            return cache.available("sku-" + (req.id % 997));
        }

        void place(Request req) {
            cache.reserve("sku-" + (req.id % 997), 1);
        }
    }

    static final class OrderController {
        private final OrderService orders;

        OrderController(OrderService orders) {
            this.orders = orders;
        }

        void getOrder(Request req) {
            orders.quote(req);
        }

        void postCart(Request req) {
            orders.place(req);
        }
    }

    static final class Dispatcher {
        private final OrderController controller;

        Dispatcher(OrderController controller) {
            this.controller = controller;
        }

        void dispatch(Request req) {
            if (req.path.startsWith("/cart")) {
                controller.postCart(req);
            } else {
                controller.getOrder(req);
            }
        }
    }

    static final class Http11Processor {
        private final Dispatcher dispatcher;

        Http11Processor(Dispatcher dispatcher) {
            this.dispatcher = dispatcher;
        }

        void process(Request req) {
            Filter[] filters = {new TracingFilter(), new AuthFilter(), new MetricsFilter()};
            new FilterChain(filters, dispatcher).doFilter(req);
        }
    }

    static final class SocketProcessor implements Runnable {
        private final Http11Processor processor;
        private final Request req;

        SocketProcessor(Http11Processor processor, Request req) {
            this.processor = processor;
            this.req = req;
        }

        @Override
        public void run() {
            doRun();
        }

        private void doRun() {
            processor.process(req);
        }
    }

    // --- 3. payment workers parked on ReentrantLocks -------------------------------

    static final class Ledger {
        final String name;
        final ReentrantLock lock;
        private final Deque<Long> entries = new ArrayDeque<>();

        Ledger(String name, boolean fair) {
            this.name = name;
            this.lock = new ReentrantLock(fair);
        }

        /** The writer: holds the lock across a slow journal flush. */
        void compact(CountDownLatch locked) {
            lock.lock();
            try {
                locked.countDown();
                Journal.flush(name);
            } finally {
                lock.unlock();
            }
        }

        void append(long amount) {
            lock.lock();
            try {
                entries.add(amount);
            } finally {
                lock.unlock();
            }
        }

        boolean tryAppend(long amount) throws InterruptedException {
            if (lock.tryLock(LONG_TIME_MS, TimeUnit.MILLISECONDS)) {
                try {
                    entries.add(amount);
                    return true;
                } finally {
                    lock.unlock();
                }
            }
            return false;
        }
    }

    static final class Journal {
        static void flush(String name) {
            FileChannelWriter.force(name);
        }
    }

    static final class FileChannelWriter {
        static void force(String name) {
            pause(LONG_TIME_MS);
        }
    }

    static final class PaymentService {
        private final Ledger ledger;

        PaymentService(Ledger ledger) {
            this.ledger = ledger;
        }

        void charge(long cents) {
            ledger.append(cents);
        }

        void refund(long cents) {
            try {
                ledger.tryAppend(-cents);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static final class PaymentWorker implements Runnable {
        private final PaymentService payments;
        private final boolean refund;

        PaymentWorker(PaymentService payments, boolean refund) {
            this.payments = payments;
            this.refund = refund;
        }

        @Override
        public void run() {
            handle(1999);
        }

        private void handle(long cents) {
            if (refund) {
                payments.refund(cents);
            } else {
                payments.charge(cents);
            }
        }
    }

    // --- 4. report jobs waiting on connection pools that nobody notifies -------------

    static final class ConnectionPool {
        final String name;
        private final Deque<Object> idle = new ArrayDeque<>();

        ConnectionPool(String name) {
            this.name = name;
        }

        synchronized Object borrow() throws InterruptedException {
            while (idle.isEmpty()) {
                wait();
            }
            return idle.pop();
        }
    }

    static final class ReportDao {
        private final ConnectionPool pool;

        ReportDao(ConnectionPool pool) {
            this.pool = pool;
        }

        List<Long> query(String sql) throws InterruptedException {
            return JdbcTemplate.query(pool, sql);
        }
    }

    static final class JdbcTemplate {
        static List<Long> query(ConnectionPool pool, String sql) throws InterruptedException {
            Object conn = pool.borrow();
            return List.of((long) conn.hashCode(), (long) sql.length());
        }
    }

    static final class ReportService {
        private final ReportDao dao;

        ReportService(ReportDao dao) {
            this.dao = dao;
        }

        void build(int day) throws InterruptedException {
            loadOrders(day);
        }

        private List<Long> loadOrders(int day) throws InterruptedException {
            return dao.query("select * from orders where day = " + day);
        }
    }

    static final class ReportJob implements Runnable {
        private final ReportService reports;
        private final int day;

        ReportJob(ReportService reports, int day) {
            this.reports = reports;
            this.day = day;
        }

        @Override
        public void run() {
            try {
                reports.build(day);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // --- 5. sleeping housekeeping threads -------------------------------------------

    static final class Heartbeat implements Runnable {
        @Override
        public void run() {
            while (!Thread.currentThread().isInterrupted()) {
                beat();
            }
        }

        private void beat() {
            Metrics.record("heartbeat", 0);
            awaitNext();
        }

        private void awaitNext() {
            Clock.sleepUntilNext(LONG_TIME_MS);
        }
    }

    static final class MetricsFlusher implements Runnable {
        @Override
        public void run() {
            loop();
        }

        private void loop() {
            while (!Thread.currentThread().isInterrupted()) {
                waitForNextInterval();
                Metrics.record("flush", 0);
            }
        }

        private void waitForNextInterval() {
            Clock.sleepUntilNext(LONG_TIME_MS);
        }
    }

    static final class Clock {
        static void sleepUntilNext(long intervalMs) {
            pause(intervalMs - System.currentTimeMillis() % intervalMs);
        }
    }

    static final class ConnectionReaper implements Runnable {
        @Override
        public void run() {
            while (!Thread.currentThread().isInterrupted()) {
                Backoff.sleep(3);
            }
        }
    }

    static final class Backoff {
        static void sleep(int attempt) {
            if (attempt > 0) {
                sleep(attempt - 1);
            } else {
                pause(LONG_TIME_MS);
            }
        }
    }

    // --- 6. AB-BA monitor deadlocks between transfers --------------------------------

    static final class Account {
        final int id;
        private long balance = 1_000;

        Account(int id) {
            this.id = id;
        }

        /** Locks this account, then the other one: two opposite transfers deadlock. */
        synchronized void transferTo(Account other, long amount, CountDownLatch bothLocked) {
            bothLocked.countDown();
            try {
                bothLocked.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            balance -= amount;
            other.deposit(amount);
        }

        synchronized void deposit(long amount) {
            balance += amount;
        }

        synchronized long balance() {
            return balance;
        }
    }

    static final class TransferService {
        static void transfer(Account from, Account to, long amount, CountDownLatch bothLocked) {
            Transactions.inTransaction(() -> from.transferTo(to, amount, bothLocked));
        }

        static long statement(Account account) {
            return Transactions.readOnly(account::balance);
        }
    }

    static final class Transactions {
        static void inTransaction(Runnable work) {
            work.run();
        }

        static long readOnly(LongSupplier query) {
            return query.getAsLong();
        }
    }

    static final class TransferController {
        static void post(Account from, Account to, long amount, CountDownLatch bothLocked) {
            TransferService.transfer(from, to, amount, bothLocked);
        }

        static long statement(Account account) {
            return TransferService.statement(account);
        }
    }

    // --- 2. idle executor workers ---------------------------------------------------

    static final class NamedFactory implements ThreadFactory {
        private final String prefix;
        private final Thread.State state;
        private final AtomicInteger next = new AtomicInteger(1);

        NamedFactory(String prefix, Thread.State state) {
            this.prefix = prefix;
            this.state = state;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(null, r, prefix + next.getAndIncrement(), STACK);
            track(t, state);
            return t;
        }
    }

    // --- main ------------------------------------------------------------------------

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        if (n < 200) {
            System.err.println("N must be at least 200");
            System.exit(2);
        }
        int convoy = n * 40 / 100;
        int pooled = n * 20 / 100;
        int parked = n * 15 / 100;
        int waiting = n * 10 / 100;
        int sleeping = n * 10 / 100;
        int deadlocked = n - convoy - pooled - parked - waiting - sleeping;
        long t0 = System.nanoTime();
        try {
            startConvoys(convoy);
            startPools(pooled);
            startLedgers(parked);
            startReportJobs(waiting);
            startHousekeeping(sleeping);
            startDeadlocks(deadlocked);
        } catch (OutOfMemoryError e) {
            System.out.println("started " + threads.size() + " of " + n + " threads: " + e.getMessage());
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }
        long started = System.nanoTime();
        awaitStates(300);
        long settled = System.nanoTime();
        System.err.printf("%d threads started in %.1f s, in their states after %.1f s%n",
                threads.size(), (started - t0) / 1e9, (settled - t0) / 1e9);
        System.out.println("ready");
        System.out.flush();
        while (true) {
            pause(LONG_TIME_MS);
        }
    }

    static void startConvoys(int count) throws InterruptedException {
        String[] regions = {"eu-west", "us-east", "ap-south", "sa-east"};
        List<Http11Processor> processors = new ArrayList<>();
        for (String region : regions) {
            InventoryCache cache = new InventoryCache(region);
            CountDownLatch entered = new CountDownLatch(1);
            start("inventory-refresh-" + region, new CacheRefresher(cache, entered), Thread.State.TIMED_WAITING);
            entered.await();
            processors.add(new Http11Processor(new Dispatcher(new OrderController(new OrderService(cache)))));
        }
        for (int i = 0; i < count - regions.length; i++) {
            Request req = new Request(i, i % 3 == 0 ? "/cart/items" : "/orders/" + i);
            start("http-nio-8080-exec-" + (i + 1), new SocketProcessor(processors.get(i % processors.size()), req),
                    Thread.State.BLOCKED);
        }
    }

    static void startPools(int count) {
        int io = count * 40 / 100;
        int db = count * 25 / 100;
        int callbacks = count * 20 / 100;
        int scheduled = count - io - db - callbacks;
        ThreadPoolExecutor ioPool = new ThreadPoolExecutor(io, io, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new NamedFactory("orders-io-", Thread.State.WAITING));
        ThreadPoolExecutor dbPool = new ThreadPoolExecutor(db, db, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(1024), new NamedFactory("db-exec-", Thread.State.WAITING));
        ThreadPoolExecutor cbPool = new ThreadPoolExecutor(callbacks, callbacks, 1, TimeUnit.HOURS,
                new LinkedBlockingQueue<>(), new NamedFactory("async-callback-", Thread.State.TIMED_WAITING));
        cbPool.allowCoreThreadTimeOut(true);
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(scheduled,
                new NamedFactory("scheduler-", Thread.State.WAITING));
        ioPool.prestartAllCoreThreads();
        dbPool.prestartAllCoreThreads();
        cbPool.prestartAllCoreThreads();
        timers.prestartAllCoreThreads();
    }

    static void startLedgers(int count) throws InterruptedException {
        Ledger[] ledgers = {new Ledger("payments", false), new Ledger("refunds", true), new Ledger("payouts", false)};
        for (Ledger ledger : ledgers) {
            CountDownLatch locked = new CountDownLatch(1);
            start("ledger-compactor-" + ledger.name, () -> ledger.compact(locked), Thread.State.TIMED_WAITING);
            locked.await();
        }
        for (int i = 0; i < count - ledgers.length; i++) {
            boolean refund = i % 4 == 3;
            Thread.State state = refund ? Thread.State.TIMED_WAITING : Thread.State.WAITING;
            PaymentService payments = new PaymentService(ledgers[i % ledgers.length]);
            start("payment-worker-" + (i + 1), new PaymentWorker(payments, refund), state);
        }
    }

    static void startReportJobs(int count) {
        List<ReportService> services = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            services.add(new ReportService(new ReportDao(new ConnectionPool("reporting-db-" + i))));
        }
        for (int i = 0; i < count; i++) {
            start("report-job-" + (i + 1), new ReportJob(services.get(i % services.size()), i % 31),
                    Thread.State.WAITING);
        }
    }

    static void startHousekeeping(int count) {
        for (int i = 0; i < count; i++) {
            Runnable body;
            String name;
            switch (i % 3) {
                case 0:
                    body = new Heartbeat();
                    name = "heartbeat-" + (i / 3 + 1);
                    break;
                case 1:
                    body = new MetricsFlusher();
                    name = "metrics-flusher-" + (i / 3 + 1);
                    break;
                default:
                    body = new ConnectionReaper();
                    name = "conn-reaper-" + (i / 3 + 1);
                    break;
            }
            start(name, body, Thread.State.TIMED_WAITING);
        }
    }

    static void startDeadlocks(int count) throws InterruptedException {
        int pairs = Math.min(5, count / 2);
        List<Account> held = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            Account a = new Account(2 * p + 1);
            Account b = new Account(2 * p + 2);
            CountDownLatch bothLocked = new CountDownLatch(2);
            start("transfer-" + a.id + "-to-" + b.id,
                    () -> TransferController.post(a, b, 100, bothLocked), Thread.State.BLOCKED);
            start("transfer-" + b.id + "-to-" + a.id,
                    () -> TransferController.post(b, a, 250, bothLocked), Thread.State.BLOCKED);
            held.add(a);
            held.add(b);
        }
        // Wait until each pair is locked up before queueing statements behind them.
        awaitStates(60);
        for (int i = 0; i < count - 2 * pairs; i++) {
            Account account = held.get(i % held.size());
            start("statement-" + (i + 1), () -> TransferController.statement(account), Thread.State.BLOCKED);
        }
    }

    /** Polls until every started thread is in its expected state. */
    static void awaitStates(int seconds) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            int off = 0;
            Thread first = null;
            List<Thread> snapshot;
            List<Thread.State> want;
            synchronized (ThreadsGen.class) {
                snapshot = new ArrayList<>(threads);
                want = new ArrayList<>(expected);
            }
            for (int i = 0; i < snapshot.size(); i++) {
                if (snapshot.get(i).getState() != want.get(i)) {
                    off++;
                    if (first == null) {
                        first = snapshot.get(i);
                    }
                }
            }
            if (off == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                System.out.println("timeout: " + off + " threads not in their state, e.g. " + first.getName()
                        + " " + first.getState());
                System.out.flush();
                Runtime.getRuntime().halt(2);
            }
            pause(20);
        }
    }
}
