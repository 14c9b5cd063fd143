// A healthy, busy backend: a net/rpc server answering slow calls to clients
// of the same process (calls in flight, each client's input loop reading
// the replies), and a database/sql pool over a driver written here whose
// queries take a while, with more callers than connections (callers queue
// for a free connection, the pool's connection opener idles).
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/rpc"
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

// Inventory is the RPC service.
type Inventory struct{}

// Args of a stock query.
type Args struct{ SKU string }

// Stock answers after a slow lookup.
func (Inventory) Stock(args Args, reply *int) error {
	time.Sleep(time.Duration(200+len(args.SKU)) * time.Millisecond)
	*reply = len(args.SKU)
	return nil
}

// --- a database/sql driver: every query takes a while (a remote database).

type slowDriver struct{}
type slowConn struct{}
type slowStmt struct{ query string }
type slowRows struct{ left int }

func (slowDriver) Open(string) (driver.Conn, error) { return slowConn{}, nil }

func (slowConn) Prepare(q string) (driver.Stmt, error) { return slowStmt{q}, nil }
func (slowConn) Close() error                          { return nil }
func (slowConn) Begin() (driver.Tx, error)             { return nil, errors.New("no transactions") }

// QueryContext waits for the "database" to answer.
func (slowConn) QueryContext(ctx context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	select {
	case <-time.After(150 * time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &slowRows{left: 3}, nil
}

func (slowStmt) Close() error                                { return nil }
func (slowStmt) NumInput() int                               { return -1 }
func (slowStmt) Exec([]driver.Value) (driver.Result, error)  { return driver.ResultNoRows, nil }
func (s slowStmt) Query([]driver.Value) (driver.Rows, error) { return &slowRows{left: 3}, nil }

func (*slowRows) Columns() []string { return []string{"qty"} }
func (*slowRows) Close() error      { return nil }
func (r *slowRows) Next(dest []driver.Value) error {
	if r.left == 0 {
		return io.EOF
	}
	r.left--
	dest[0] = int64(r.left)
	return nil
}

// caller makes RPC calls one after the other.
func caller(client *rpc.Client, sku string) {
	for {
		var n int
		if err := client.Call("Inventory.Stock", Args{SKU: sku}, &n); err != nil {
			return
		}
	}
}

// reporter runs queries one after the other on the shared pool.
func reporter(ctx context.Context, db *sql.DB) {
	for ctx.Err() == nil {
		rows, err := db.QueryContext(ctx, "SELECT qty FROM stock")
		if err != nil {
			continue
		}
		for rows.Next() {
		}
		rows.Close()
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := rpc.NewServer()
	if err := srv.Register(Inventory{}); err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Accept(ln)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		client, err := rpc.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		for j := 0; j < 3; j++ {
			wg.Add(1)
			go func() { defer wg.Done(); caller(client, "sku-1234") }()
		}
	}

	sql.Register("slow", slowDriver{})
	db, err := sql.Open("slow", "inventory")
	if err != nil {
		panic(err)
	}
	db.SetMaxOpenConns(3)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); reporter(ctx, db) }()
	}
	time.Sleep(500 * time.Millisecond)
	dumpkit.Dump()
	wg.Wait()
}
