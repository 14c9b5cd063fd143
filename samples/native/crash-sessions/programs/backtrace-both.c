/* A batch job whose SIGSEGV handler prints the stack twice, as crash
 * handlers copied from the glibc manual often do: once through
 * backtrace_symbols (one string per frame, written with fputs) and once
 * through backtrace_symbols_fd, with nothing printed between the two. */
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_fault(int sig) {
  void *frames[64];
  int n = backtrace(frames, 64);
  char **names = backtrace_symbols(frames, n);
  fprintf(stderr, "fatal signal %d (%s)\n", sig, strsignal(sig));
  for (int i = 0; names && i < n; i++) {
    fputs(names[i], stderr);
    fputc('\n', stderr);
  }
  fflush(stderr);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  _exit(128 + sig);
}

struct job { const char *name; int *weights; };

__attribute__((noinline)) int weigh(const struct job *j, int n) {
  int total = 0;
  for (int i = 0; i < n; i++) total += j->weights[i];
  return total;
}

__attribute__((noinline)) int run_batch(const struct job *jobs, int count) {
  int total = 0;
  for (int i = 0; i < count; i++) total += weigh(&jobs[i], 4);
  return total;
}

int main(void) {
  static int weights[4] = {1, 2, 3, 4};
  struct job jobs[2] = {{"first", weights}, {"second", NULL}};
  signal(SIGSEGV, on_fault);
  printf("%d\n", run_batch(jobs, 2));
  return 0;
}
