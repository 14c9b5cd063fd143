// Package dumpkit makes a sample program write its goroutine dump in the form
// chosen by the DUMP_FORM environment variable, once the program's goroutines
// have settled into the pattern it demonstrates.
//
//	panic        panic; the runtime prints the traceback (GOTRACEBACK decides how much)
//	sigquit      the process sends itself SIGQUIT
//	debug2       pprof goroutine profile, debug=2, on stdout
//	profiles     debug=2 on stdout, then (Go >= 1.26) the goroutineleak profile at
//	             debug=2 and debug=1 and the goroutine profile at debug=1, into the
//	             files named by LEAK2_OUT, LEAK1_OUT and DEBUG1_OUT (and the goroutine
//	             profile as protobuf, debug=0, into PB_OUT when it is set)
//	stack        runtime.Stack(all) on stdout
//	none         do nothing (the program keeps running)
package dumpkit

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

// Settle gives the goroutines time to block where they will stay. A GC
// cycle stamps when each blocked goroutine started waiting (with the start
// time of the previous cycle), which the traceback prints as ", N minutes"
// once a minute has passed.
func Settle() {
	d := 400 * time.Millisecond
	if s := os.Getenv("SETTLE"); s != "" {
		if v, err := time.ParseDuration(s); err == nil {
			d = v
		}
	}
	time.Sleep(200 * time.Millisecond)
	// The first cycle has no start time yet when it scans stacks: two cycles.
	runtime.GC()
	runtime.GC()
	time.Sleep(d)
}

// Dump writes the dump and, for the forms that do not end the process, exits.
func Dump() {
	Settle()
	switch form := os.Getenv("DUMP_FORM"); form {
	case "", "panic":
		panic(fmt.Sprintf("dumping %d goroutines for analysis", runtime.NumGoroutine()))
	case "sigquit":
		_ = syscall.Kill(os.Getpid(), syscall.SIGQUIT)
		time.Sleep(5 * time.Second)
	case "debug2":
		_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
		os.Exit(0)
	case "profiles":
		_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
		writeProfile("goroutine", 1, os.Getenv("DEBUG1_OUT"))
		writeProfile("goroutine", 0, os.Getenv("PB_OUT"))
		writeLeakProfiles()
		os.Exit(0)
	case "stack":
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		os.Stdout.Write(buf[:n])
		os.Exit(0)
	case "none":
		select {}
	case "pprof":
		// The profiles of /debug/pprof, into the directory PPROF_DIR (see pprof.go).
		if err := writePprofDir(os.Getenv("PPROF_DIR")); err != nil {
			fmt.Fprintln(os.Stderr, "pprof:", err)
			os.Exit(1)
		}
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "unknown DUMP_FORM %q\n", form)
		os.Exit(3)
	}
}

func writeProfile(name string, debug int, path string) {
	if path == "" {
		return
	}
	p := pprof.Lookup(name)
	if p == nil {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = p.WriteTo(f, debug)
}
