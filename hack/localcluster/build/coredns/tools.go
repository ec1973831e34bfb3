//go:build tools

// Package tools records the CoreDNS command the local cluster builds, so that
// go mod tidy keeps every module it needs in go.mod and go.sum.
package tools

import _ "github.com/coredns/coredns"
