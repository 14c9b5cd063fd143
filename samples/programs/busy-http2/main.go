// A healthy, busy HTTP/2 service under load: a TLS server (a self-signed
// certificate made in memory) streams responses and reads streaming request
// bodies, while a client of the same process keeps uploads and downloads in
// flight over one HTTP/2 connection, and a few HTTP/1.1 keep-alive
// connections of one shared Transport carry slow requests. Every wait ends:
// the peers keep writing.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"

	"example.com/shop/dumpkit"
)

// selfSigned makes a certificate for 127.0.0.1, valid for an hour.
func selfSigned() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "shop.local"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// feed streams price ticks to a subscriber until the client goes away.
func feed(w http.ResponseWriter, r *http.Request) {
	flusher, _ := w.(http.Flusher)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			if _, err := fmt.Fprintf(w, "tick %d\n", i); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
}

// ingest reads an upload as it streams in.
func ingest(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 4096)
	total := 0
	for {
		n, err := r.Body.Read(buf)
		total += n
		if err != nil {
			break
		}
	}
	fmt.Fprintf(w, "%d bytes\n", total)
}

// report answers after a while (a slow backend call).
func report(w http.ResponseWriter, r *http.Request) {
	select {
	case <-time.After(30 * time.Second):
	case <-r.Context().Done():
	}
	fmt.Fprintln(w, "ok")
}

// subscribe reads a streamed response for as long as the process lives.
func subscribe(ctx context.Context, client *http.Client, url string) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	buf := make([]byte, 512)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			return
		}
	}
}

// upload streams a body to the server in small pieces.
func upload(ctx context.Context, client *http.Client, url string) {
	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := fmt.Fprintf(pw, "row %d\n", i); err != nil {
				return
			}
			time.Sleep(15 * time.Millisecond)
		}
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, pr)
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// poll calls a slow endpoint over HTTP/1.1 keep-alive connections, body
// closed every time.
func poll(ctx context.Context, client *http.Client, url string) {
	for ctx.Err() == nil {
		resp, err := client.Get(url)
		if err != nil {
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cert, pool := selfSigned()
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", feed)
	mux.HandleFunc("/ingest", ingest)
	mux.HandleFunc("/report", report)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, IdleTimeout: time.Minute}
	go srv.ServeTLS(ln, "", "")
	ln1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv1 := &http.Server{Handler: mux, IdleTimeout: time.Minute}
	go srv1.Serve(ln1)

	h2 := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
	h1 := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	base := "https://" + ln.Addr().String()
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); subscribe(ctx, h2, base+"/feed") }()
		go func() { defer wg.Done(); upload(ctx, h2, base+"/ingest") }()
	}
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); poll(ctx, h1, "http://"+ln1.Addr().String()+"/report") }()
	}
	go func() {
		wg.Wait()
	}()
	time.Sleep(300 * time.Millisecond)
	dumpkit.Dump()
}
