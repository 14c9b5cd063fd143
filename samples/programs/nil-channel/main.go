// A notifier whose channel was never made: sends and receives on a nil
// channel block forever ("chan send (nil chan)", "chan receive (nil chan)").
package main

import "example.com/shop/dumpkit"

type Notifier struct {
	events chan string // Bug: never initialised with make.
}

func (n *Notifier) publish(ev string) { n.events <- ev }

func (n *Notifier) listen() {
	for ev := range n.events {
		_ = ev
	}
}

func main() {
	n := &Notifier{}
	for i := 0; i < 3; i++ {
		go n.listen()
	}
	for i := 0; i < 4; i++ {
		go n.publish("order.created")
	}
	dumpkit.Dump()
}
