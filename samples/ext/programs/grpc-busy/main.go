// grpc-busy: a healthy, busy gRPC service in one process. A grpc-go server
// with the standard health service; 40 client connections, each with a
// long-lived Watch stream open (the server side parked until the status
// changes) and a loop of unary Check calls in flight, over real TCP on
// loopback with keepalive enabled. Nothing here is stuck.
package main

import (
	"context"
	"net"
	"time"

	"example.com/shop/dumpkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

const clients = 40

func main() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute}))
	status := health.NewServer()
	status.SetServingStatus("orders", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, status)
	go func() { _ = srv.Serve(lis) }()

	for i := 0; i < clients; i++ {
		conn, err := grpc.NewClient(lis.Addr().String(),
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: time.Minute}))
		if err != nil {
			panic(err)
		}
		client := healthpb.NewHealthClient(conn)
		go watch(client)
		go check(client)
	}
	// Flip a status now and then so the watchers get updates.
	go func() {
		for serving := false; ; serving = !serving {
			time.Sleep(50 * time.Millisecond)
			next := healthpb.HealthCheckResponse_NOT_SERVING
			if serving {
				next = healthpb.HealthCheckResponse_SERVING
			}
			status.SetServingStatus("payments", next)
		}
	}()
	time.Sleep(2 * time.Second)
	dumpkit.Dump()
}

func watch(client healthpb.HealthClient) {
	stream, err := client.Watch(context.Background(), &healthpb.HealthCheckRequest{Service: "payments"})
	if err != nil {
		return
	}
	for {
		if _, err := stream.Recv(); err != nil {
			return
		}
	}
}

func check(client healthpb.HealthClient) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = client.Check(ctx, &healthpb.HealthCheckRequest{Service: "orders"})
		cancel()
	}
}
