/* A deadlocked service, for eu-stack -p PID: two transfer threads lock two
 * accounts in opposite order and block forever (T1 holds A, wants B; T2
 * holds B, wants A), a flusher waits on a condition variable nobody
 * signals, and the main thread waits in pthread_join. The program writes
 * "ready" to stdout once every thread is blocked (or about to block).
 *
 * transfer -> lock_account (always inlined) -> pthread_mutex_lock
 * flusher_main -> wait_for_work (always inlined) -> pthread_cond_wait */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

struct account {
  pthread_mutex_t mu;
  long balance;
};

static struct account acct_a = {PTHREAD_MUTEX_INITIALIZER, 100};
static struct account acct_b = {PTHREAD_MUTEX_INITIALIZER, 100};
static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static int queue_len;
static pthread_barrier_t both_hold_first;

struct job {
  struct account *from, *to;
  long amount;
};

static inline __attribute__((always_inline)) void lock_account(struct account *a) {
  pthread_mutex_lock(&a->mu);
}

__attribute__((noinline)) void transfer(struct account *from, struct account *to, long amount) {
  lock_account(from);
  pthread_barrier_wait(&both_hold_first); /* make the deadlock certain */
  lock_account(to);
  from->balance -= amount;
  to->balance += amount;
  pthread_mutex_unlock(&to->mu);
  pthread_mutex_unlock(&from->mu);
}

__attribute__((noinline)) void *transfer_main(void *arg) {
  struct job *j = arg;
  transfer(j->from, j->to, j->amount);
  return NULL;
}

static inline __attribute__((always_inline)) int wait_for_work(void) {
  pthread_mutex_lock(&queue_mu);
  while (queue_len == 0) pthread_cond_wait(&queue_cv, &queue_mu);
  int n = queue_len--;
  pthread_mutex_unlock(&queue_mu);
  return n;
}

__attribute__((noinline)) void *flusher_main(void *arg) {
  (void)arg;
  for (;;) {
    int n = wait_for_work();
    printf("flushed %d\n", n);
  }
  return NULL;
}

int main(void) {
  pthread_t t1, t2, t3;
  struct job j1 = {&acct_a, &acct_b, 10};
  struct job j2 = {&acct_b, &acct_a, 20};
  pthread_barrier_init(&both_hold_first, NULL, 2);
  pthread_create(&t3, NULL, flusher_main, NULL);
  pthread_setname_np(t3, "flusher");
  pthread_create(&t1, NULL, transfer_main, &j1);
  pthread_setname_np(t1, "transfer-1");
  pthread_create(&t2, NULL, transfer_main, &j2);
  pthread_setname_np(t2, "transfer-2");
  usleep(200000);
  printf("ready\n");
  fflush(stdout);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
