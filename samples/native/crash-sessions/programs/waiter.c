/* A job runner waiting for its next job on a pipe nobody writes to: a
 * thread parked in read(), for eu-stack to walk. Prints "ready" once the
 * reader is about to block. */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) static int next_job(int fd) {
  char buf[64];
  return (int)read(fd, buf, sizeof buf);
}

__attribute__((noinline)) static int run_jobs(int fd) {
  int done = 0;
  while (next_job(fd) > 0) done++;
  return done;
}

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) return 1;
  printf("ready\n");
  fflush(stdout);
  return run_jobs(fds[0]);
}
