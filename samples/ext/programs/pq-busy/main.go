// pq-busy: a healthy, busy database client. database/sql over the lib/pq
// driver against a PostgreSQL server (PGHOST/PGPORT/PGUSER from the
// environment): 48 request goroutines share a pool of 8 connections, each
// running short queries (pg_sleep) in a loop, so at any moment some are in
// a query (reading the socket) and the rest queue for a connection. Nothing
// here is stuck: every query ends within milliseconds.
package main

import (
	"database/sql"
	"time"

	"example.com/shop/dumpkit"
	_ "github.com/lib/pq"
)

const requests = 48

func main() {
	db, err := sql.Open("postgres", "sslmode=disable dbname=postgres")
	if err != nil {
		panic(err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	db.SetConnMaxLifetime(time.Minute)
	if err := db.Ping(); err != nil {
		panic(err)
	}
	for i := 0; i < requests; i++ {
		go serve(db)
	}
	time.Sleep(2 * time.Second)
	dumpkit.Dump()
}

func serve(db *sql.DB) {
	for {
		var n int
		row := db.QueryRow("SELECT 1 FROM pg_sleep(0.02)")
		_ = row.Scan(&n)
		tx, err := db.Begin()
		if err != nil {
			continue
		}
		_, _ = tx.Exec("SELECT pg_sleep(0.01)")
		_ = tx.Commit()
	}
}
