/* Two transfer threads lock two accounts' mutexes in opposite order
 * (lock-order inversion). The threads run one after the other, so the
 * process does not hang, but ThreadSanitizer's deadlock detector reports
 * the cycle M0 => M1 => M0. Built with -fsanitize=thread.
 *
 * Thread T1: transfer_worker -> transfer(from=A, to=B) -> lock_account
 * Thread T2: transfer_worker -> transfer(from=B, to=A) -> lock_account
 * lock_account is always inlined into transfer. */
#include <pthread.h>
#include <stdio.h>

struct account {
  pthread_mutex_t mu;
  long balance;
};

static struct account acct_a = {PTHREAD_MUTEX_INITIALIZER, 100};
static struct account acct_b = {PTHREAD_MUTEX_INITIALIZER, 100};

struct job {
  struct account *from, *to;
  long amount;
};

static inline __attribute__((always_inline)) void lock_account(struct account *a) {
  pthread_mutex_lock(&a->mu);
}

__attribute__((noinline)) void transfer(struct account *from, struct account *to, long amount) {
  lock_account(from);
  lock_account(to);
  from->balance -= amount;
  to->balance += amount;
  pthread_mutex_unlock(&to->mu);
  pthread_mutex_unlock(&from->mu);
}

__attribute__((noinline)) void *transfer_worker(void *arg) {
  struct job *j = arg;
  transfer(j->from, j->to, j->amount);
  return NULL;
}

int main(void) {
  pthread_t t1, t2;
  struct job j1 = {&acct_a, &acct_b, 10};
  struct job j2 = {&acct_b, &acct_a, 20};
  pthread_create(&t1, NULL, transfer_worker, &j1);
  pthread_join(t1, NULL);
  pthread_create(&t2, NULL, transfer_worker, &j2);
  pthread_join(t2, NULL);
  printf("a=%ld b=%ld\n", acct_a.balance, acct_b.balance);
  return 0;
}
