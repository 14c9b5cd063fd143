module example.com/ext

go 1.25.0

require (
	example.com/shop v0.0.0
	github.com/lib/pq v1.12.3
	github.com/nats-io/nats-server/v2 v2.14.0
	github.com/nats-io/nats.go v1.53.1
	go.etcd.io/raft/v3 v3.7.0-rc.1
	google.golang.org/grpc v1.83.1
	google.golang.org/protobuf v1.36.10
)

replace example.com/shop => ../programs
