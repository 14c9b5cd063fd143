//go:build cgo

package main

/*
#include <unistd.h>
static void wait_for_device(void) { sleep(3600); }
*/
import "C"

// A cgo call that blocks in C (a driver waiting for a device).
func startCgo() {
	go func() { C.wait_for_device() }()
}
