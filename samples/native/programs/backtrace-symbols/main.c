/* A batch job that crashes with SIGSEGV on a record whose value array was
 * never allocated. A SIGSEGV handler prints what many C services print:
 * a header line with the signal, fault address and pc, glibc's
 * backtrace_symbols_fd() output, then backtrace_symbols() output, then a
 * copy of /proc/self/maps, and re-raises the signal.
 *
 * Call chain: main -> run_job -> process_batch -> check_record (always
 * inlined into process_batch) -> sum_record -> read_value (always inlined
 * into sum_record, where the fault happens). */
#define _GNU_SOURCE
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

struct record {
  int id;
  int count;
  int *values;
};

static void write_str(const char *s) { (void)!write(2, s, strlen(s)); }

static void crash_handler(int sig, siginfo_t *info, void *uctx) {
  void *frames[64];
  char line[256];
  ucontext_t *uc = uctx;
  int n = backtrace(frames, 64);
  snprintf(line, sizeof line,
           "*** %s (signal %d) at address %p, pc 0x%llx; backtrace (%d frames):\n",
           strsignal(sig), sig, info->si_addr,
           (unsigned long long)uc->uc_mcontext.gregs[REG_RIP], n);
  write_str(line);
  backtrace_symbols_fd(frames, n, 2);
  write_str("*** backtrace_symbols:\n");
  char **syms = backtrace_symbols(frames, n);
  for (int i = 0; syms && i < n; i++) {
    write_str(syms[i]);
    write_str("\n");
  }
  write_str("*** /proc/self/maps:\n");
  int fd = open("/proc/self/maps", O_RDONLY);
  char buf[4096];
  ssize_t r;
  while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0) (void)!write(2, buf, r);
  signal(sig, SIG_DFL);
  raise(sig);
}

static inline __attribute__((always_inline)) int read_value(const struct record *r, int i) {
  return r->values[i] * (r->id + 1);
}

__attribute__((noinline)) int sum_record(const struct record *r) {
  int s = 0;
  for (int i = 0; i < r->count; i++) s += read_value(r, i);
  return s;
}

static inline __attribute__((always_inline)) int check_record(const struct record *r) {
  if (r->count <= 0) return 0;
  int s = sum_record(r);
  return s ^ r->id;
}

__attribute__((noinline)) long process_batch(const struct record *recs, int n) {
  long total = 0;
  for (int i = 0; i < n; i++) total += check_record(&recs[i]);
  return total * 3;
}

__attribute__((noinline)) long run_job(int nrecords) {
  struct record *recs = calloc(nrecords, sizeof *recs);
  for (int i = 0; i < nrecords; i++) {
    recs[i].id = i;
    recs[i].count = 4;
    /* record 2 never gets its values: the bug */
    recs[i].values = i == 2 ? NULL : calloc(4, sizeof(int));
  }
  long t = process_batch(recs, nrecords);
  printf("total %ld\n", t);
  return t;
}

int main(int argc, char **argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = crash_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  int n = argc > 1 ? atoi(argv[1]) : 5;
  return run_job(n) > 0 ? 0 : 1;
}
