// Background tasks that "keep themselves alive" with an empty select: state
// "select (no cases)", blocked forever by construction.
package main

import "example.com/shop/dumpkit"

type Reporter struct{ name string }

func (r *Reporter) start() {
	go r.run()
}

func (r *Reporter) run() {
	// Bug: meant to wait for shutdown, but nothing can ever wake it.
	select {}
}

func main() {
	for _, n := range []string{"metrics", "audit", "billing"} {
		(&Reporter{name: n}).start()
	}
	dumpkit.Dump()
}
