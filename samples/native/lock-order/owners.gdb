# The follow-up after "thread apply all bt full" on a process whose threads
# are stuck on global mutexes: the mutexes printed by name, with the owner
# glibc records in each (__data.__owner is the owner's LWP).
# Usage: gdb -p PID -batch -x owners.gdb   (C and C++ programs)
thread apply all bt full
print &orders
print orders
print &inventory
print inventory
