// A pipeline whose producer returns without closing the jobs channel: every
// consumer ranging over it waits forever in "chan receive".
package main

import (
	"example.com/shop/dumpkit"
)

type Order struct{ ID int }

type Pipeline struct {
	jobs    chan Order
	results chan int
}

func (p *Pipeline) produce(orders []Order) {
	for _, o := range orders {
		p.jobs <- o
	}
	// Bug: close(p.jobs) is missing, so the consumers never leave their range loop.
}

func (p *Pipeline) consume(worker int) {
	for o := range p.jobs {
		p.results <- o.ID * worker
	}
}

func main() {
	p := &Pipeline{jobs: make(chan Order), results: make(chan int, 100)}
	for w := 0; w < 8; w++ {
		go p.consume(w)
	}
	orders := make([]Order, 20)
	for i := range orders {
		orders[i] = Order{ID: i}
	}
	go p.produce(orders)
	dumpkit.Dump()
}
