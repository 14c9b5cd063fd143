/* A lock convoy: one thread holds the cache mutex while it sleeps (a slow
 * flush under the lock), and eight workers pile up in pthread_mutex_lock
 * on the same mutex.
 *
 * cache-flush: flusher_main -> flush_cache (inlined) -> write_back (noinline,
 *   sleeps one second in nanosleep per round, round after round, with
 *   cache.lock held: two dumps a few seconds apart differ only in "round")
 * worker-N: worker_main -> handle_request (noinline) -> cache_lookup
 *   (inlined) -> pthread_mutex_lock(&cache.lock)
 *
 * Built -O2 -g: static helpers are inlined (gdb shows them as frames
 * without an address) and many arguments are <optimized out>.
 * Ground truth: truth.h. */
#define _GNU_SOURCE
#include <string.h>
#include "../common/truth.h"

#define NWORKERS 8
#define NSLOTS 64

struct entry {
  unsigned long key;
  long value;
};

static struct cache {
  pthread_mutex_t lock;
  struct entry slots[NSLOTS];
  unsigned long hits, misses, flushes;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_barrier_t lock_taken;
static volatile int flusher_lwp;
static volatile int worker_lwp[NWORKERS];

/* Writes one batch of the cache back to slow storage: here, a second of
 * sleep. The flusher never finishes, so it never lets go of the lock. */
__attribute__((noinline)) void write_back(struct cache *c, int round) {
  struct timespec slow = {1, 0};
  c->flushes += (unsigned long)round;
  while (nanosleep(&slow, &slow) != 0) {
  }
}

static void flush_cache(struct cache *c) {
  pthread_mutex_lock(&c->lock);
  truth("\"event\":\"holds\",\"kind\":\"mutex\",\"object\":\"cache.lock\",\"address\":\"%p\"",
        (void *)&c->lock);
  pthread_barrier_wait(&lock_taken);
  truth("\"event\":\"waits\",\"kind\":\"sleep\",\"object\":\"nanosleep\"");
  for (int round = 1;; round++) write_back(c, round);
  pthread_mutex_unlock(&c->lock);
}

static void *flusher_main(void *arg) {
  (void)arg;
  truth_thread("cache-flush");
  flusher_lwp = gettid();
  flush_cache(&cache);
  return NULL;
}

static inline long cache_lookup(struct cache *c, unsigned long key) {
  struct entry *e;
  long v;
  pthread_mutex_lock(&c->lock);
  e = &c->slots[key % NSLOTS];
  if (e->key == key) {
    c->hits++;
    v = e->value;
  } else {
    c->misses++;
    e->key = key;
    v = e->value = (long)(key * 2654435761u);
  }
  pthread_mutex_unlock(&c->lock);
  return v;
}

__attribute__((noinline)) long handle_request(unsigned long key, int worker) {
  long v = cache_lookup(&cache, key);
  return v ^ worker;
}

static void *worker_main(void *arg) {
  int id = (int)(long)arg;
  char name[32];
  long total = 0;
  snprintf(name, sizeof name, "worker-%d", id + 1);
  truth_thread(name);
  worker_lwp[id] = gettid();
  pthread_barrier_wait(&lock_taken);
  truth("\"event\":\"waits\",\"kind\":\"mutex\",\"object\":\"cache.lock\",\"address\":\"%p\"",
        (void *)&cache.lock);
  for (unsigned long key = (unsigned long)id * 1000;; key++) total += handle_request(key, id);
  return (void *)total;
}

int main(int argc, char **argv) {
  pthread_t flusher, workers[NWORKERS];
  truth_open(argc, argv);
  truth_thread(NULL);
  pthread_barrier_init(&lock_taken, NULL, NWORKERS + 1);
  pthread_create(&flusher, NULL, flusher_main, NULL);
  for (long i = 0; i < NWORKERS; i++) pthread_create(&workers[i], NULL, worker_main, (void *)i);

  truth_await_blocked(&flusher_lwp, SYS_CLOCK_NANOSLEEP_NR, 0, 0);
  for (int i = 0; i < NWORKERS; i++)
    truth_await_blocked(&worker_lwp[i], SYS_FUTEX_NR, (unsigned long)&cache.lock,
                        (unsigned long)&cache.lock + 1);
  truth_owner("cache.lock", &cache.lock);
  truth("\"event\":\"waits\",\"kind\":\"join\",\"object\":\"cache-flush\",\"pthread\":\"%#lx\","
        "\"target\":%d",
        (unsigned long)flusher, flusher_lwp);
  truth("\"event\":\"ready\"");
  printf("ready\n");
  fflush(stdout);
  pthread_join(flusher, NULL);
  for (int i = 0; i < NWORKERS; i++) pthread_join(workers[i], NULL);
  return 0;
}
