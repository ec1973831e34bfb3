// Command hello is the local cluster's smoke-test app. It keeps an identity
// file in its data directory (created on first start, reused after) and serves
// "<hostname> <identity>" over HTTP, so a check can see both which pod answered
// and that its volume persisted.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	addr := flag.String("listen", ":8080", "HTTP listen address")
	dataDir := flag.String("data", "/data", "directory of the identity file")
	flag.Parse()

	host, err := os.Hostname()
	if err != nil {
		log.Fatal(err)
	}
	id, err := identity(filepath.Join(*dataDir, "identity"))
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("hello %s identity %s on %s", host, id, *addr)
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s %s\n", host, id)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func identity(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	r := make([]byte, 8)
	if _, err := rand.Read(r); err != nil {
		return "", err
	}
	id := hex.EncodeToString(r)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return id, os.WriteFile(path, []byte(id+"\n"), 0o644)
}
