// nats-busy: a healthy, busy NATS deployment in one process. An embedded
// nats-server with 150 client connections from the nats.go client:
// request/reply responders, channel subscribers, asynchronous subscribers
// and publishers sending requests and events in a loop while the dump is
// written. Nothing here is stuck: every waiting goroutine is woken by the
// next message, the next flush or the connection's close.
package main

import (
	"fmt"
	"time"

	"example.com/shop/dumpkit"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

const connections = 150

func main() {
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	srv, err := server.NewServer(opts)
	if err != nil {
		panic(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		panic("nats-server not ready")
	}
	url := srv.ClientURL()

	conns := make([]*nats.Conn, 0, connections)
	for i := 0; i < connections; i++ {
		nc, err := nats.Connect(url, nats.Name(fmt.Sprintf("client-%d", i)))
		if err != nil {
			panic(err)
		}
		conns = append(conns, nc)
		subject := fmt.Sprintf("svc.%d", i%16)
		switch i % 3 {
		case 0: // a responder
			if _, err := nc.QueueSubscribe(subject, "workers", func(m *nats.Msg) {
				_ = m.Respond([]byte("ok"))
			}); err != nil {
				panic(err)
			}
		case 1: // an event consumer reading a channel subscription
			events := make(chan *nats.Msg, 64)
			if _, err := nc.ChanSubscribe(subject+".events", events); err != nil {
				panic(err)
			}
			go consume(events)
		}
	}
	// Publishers: a request, then an event, in a loop.
	for i := 2; i < connections; i += 3 {
		go publish(conns[i], i)
	}
	time.Sleep(2 * time.Second)
	dumpkit.Dump()
}

func consume(events <-chan *nats.Msg) {
	for m := range events {
		_ = m.Data
	}
}

func publish(nc *nats.Conn, i int) {
	subject := fmt.Sprintf("svc.%d", i%16)
	for {
		if _, err := nc.Request(subject, []byte("ping"), 2*time.Second); err != nil {
			time.Sleep(10 * time.Millisecond)
		}
		_ = nc.Publish(subject+".events", []byte("event"))
	}
}
