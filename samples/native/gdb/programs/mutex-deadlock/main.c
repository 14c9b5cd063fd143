/* An AB-BA deadlock on two pthread mutexes, with a bystander.
 *
 * transfer-ab locks account A then B, transfer-ba locks B then A; a barrier
 * makes sure both hold their first mutex before either asks for its second,
 * so the deadlock is certain. auditor passes the same barrier and then asks
 * for A: it is queued behind the cycle without being part of it. The main
 * thread waits in pthread_join for transfer-ab.
 *
 * transfer_main -> transfer -> lock_account -> pthread_mutex_lock
 * auditor_main -> audit_account -> lock_account -> pthread_mutex_lock
 *
 * Built -O0 -g (every function is a real frame). Ground truth: truth.h. */
#define _GNU_SOURCE
#include "../common/truth.h"

struct account {
  pthread_mutex_t lock;
  const char *name;
  long balance;
};

static struct account account_a = {PTHREAD_MUTEX_INITIALIZER, "account_a", 500};
static struct account account_b = {PTHREAD_MUTEX_INITIALIZER, "account_b", 300};
static pthread_barrier_t first_locks_held;

enum { T_AB, T_BA, T_AUDITOR, NTHREADS };
static volatile int lwp_of[NTHREADS];

struct transfer_job {
  int slot;
  const char *thread_name;
  struct account *from, *to;
  long amount;
};

void lock_account(struct account *acct) {
  pthread_mutex_lock(&acct->lock);
}

void unlock_account(struct account *acct) {
  pthread_mutex_unlock(&acct->lock);
}

void transfer(struct account *from, struct account *to, long amount) {
  lock_account(from);
  truth("\"event\":\"holds\",\"kind\":\"mutex\",\"object\":\"%s.lock\",\"address\":\"%p\"",
        from->name, (void *)&from->lock);
  pthread_barrier_wait(&first_locks_held);
  truth("\"event\":\"waits\",\"kind\":\"mutex\",\"object\":\"%s.lock\",\"address\":\"%p\"",
        to->name, (void *)&to->lock);
  lock_account(to);
  from->balance -= amount;
  to->balance += amount;
  unlock_account(to);
  unlock_account(from);
}

void *transfer_main(void *arg) {
  struct transfer_job *job = arg;
  truth_thread(job->thread_name);
  lwp_of[job->slot] = gettid();
  transfer(job->from, job->to, job->amount);
  return NULL;
}

long audit_account(struct account *acct) {
  long balance;
  truth("\"event\":\"waits\",\"kind\":\"mutex\",\"object\":\"%s.lock\",\"address\":\"%p\"",
        acct->name, (void *)&acct->lock);
  lock_account(acct);
  balance = acct->balance;
  unlock_account(acct);
  return balance;
}

void *auditor_main(void *arg) {
  (void)arg;
  truth_thread("auditor");
  lwp_of[T_AUDITOR] = gettid();
  pthread_barrier_wait(&first_locks_held);
  truth_sleep_ms(50); /* let the transfers reach their second lock first */
  printf("audit: %ld\n", audit_account(&account_a));
  return NULL;
}

int main(int argc, char **argv) {
  pthread_t ab, ba, auditor;
  struct transfer_job job_ab = {T_AB, "transfer-ab", &account_a, &account_b, 120};
  struct transfer_job job_ba = {T_BA, "transfer-ba", &account_b, &account_a, 80};

  truth_open(argc, argv);
  truth_thread(NULL);
  pthread_barrier_init(&first_locks_held, NULL, 3);
  pthread_create(&ab, NULL, transfer_main, &job_ab);
  pthread_create(&ba, NULL, transfer_main, &job_ba);
  pthread_create(&auditor, NULL, auditor_main, NULL);

  truth_await_blocked(&lwp_of[T_AB], SYS_FUTEX_NR, (unsigned long)&account_b.lock,
                      (unsigned long)&account_b.lock + 1);
  truth_await_blocked(&lwp_of[T_BA], SYS_FUTEX_NR, (unsigned long)&account_a.lock,
                      (unsigned long)&account_a.lock + 1);
  truth_await_blocked(&lwp_of[T_AUDITOR], SYS_FUTEX_NR, (unsigned long)&account_a.lock,
                      (unsigned long)&account_a.lock + 1);
  truth_owner("account_a.lock", &account_a.lock);
  truth_owner("account_b.lock", &account_b.lock);
  truth("\"event\":\"waits\",\"kind\":\"join\",\"object\":\"transfer-ab\",\"pthread\":\"%#lx\","
        "\"target\":%d",
        (unsigned long)ab, lwp_of[T_AB]);
  truth("\"event\":\"ready\"");
  printf("ready\n");
  fflush(stdout);
  pthread_join(ab, NULL);
  pthread_join(ba, NULL);
  pthread_join(auditor, NULL);
  return 0;
}
