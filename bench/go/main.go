// Reference server for bench/run.sh: SPIRE's oidc-discovery-provider stack (Go net/http and crypto/tls,
// standard library only) serving the same prepared bytes as the other servers, read once at start.
// Arguments: port cert.pem key.pem keys.json discovery.json
//
// Built by bench/run.sh with GO111MODULE=off (no module download) and run with GOMAXPROCS=1 on the
// servers' core. net/http's defaults are kept, as SPIRE keeps them: keep-alive, HTTP/2 offered over ALPN
// (wrk and h2load --h1 offer none or only http/1.1, so they get HTTP/1.1).
package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 6 {
		log.Fatal("usage: goref PORT CERT KEY KEYS_JSON DISCOVERY_JSON")
	}
	port, certFile, keyFile := os.Args[1], os.Args[2], os.Args[3]
	keys := mustRead(os.Args[4])
	discovery := mustRead(os.Args[5])
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/keys", serve(keys))
	mux.HandleFunc("/.well-known/openid-configuration", serve(discovery))
	server := &http.Server{
		Handler:   mux,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ErrorLog:  log.New(os.Stderr, "", log.LstdFlags),
	}
	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on " + port)
	log.Fatal(server.ServeTLS(listener, "", ""))
}

func serve(body []byte) http.HandlerFunc {
	length := strconv.Itoa(len(body))
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Cache-Control"] = []string{"public, max-age=300"}
		h["Content-Length"] = []string{length}
		w.Write(body)
	}
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	return b
}
