// A counter updated without synchronisation, built with -race: the race
// detector reports the data race, then the program panics with its dump.
package main

import (
	"time"

	"example.com/shop/dumpkit"
)

type Stats struct{ hits int }

func (s *Stats) record() { s.hits++ }

func main() {
	s := &Stats{}
	done := make(chan bool)
	go func() {
		s.record()
		done <- true
	}()
	s.record()
	<-done
	time.Sleep(10 * time.Millisecond)
	dumpkit.Dump()
}
