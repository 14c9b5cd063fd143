# The follow-up after "thread apply all bt" on a process stuck on mutexes:
# for every thread blocked in pthread_mutex_lock, the mutex it waits for
# and the owner glibc recorded in it (__data.__owner is the owner's LWP).
# Usage: gdb -p PID -batch -x owners.gdb
info threads
thread apply all bt
define mutex_owner
  frame function ___pthread_mutex_lock
  print mutex
  print *mutex
  print mutex->__data.__owner
end
thread apply all -s mutex_owner
