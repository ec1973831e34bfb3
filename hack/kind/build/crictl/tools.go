//go:build tools

// Package tools records the command this module builds (crictl), so that go
// mod tidy keeps every module it needs in go.mod and go.sum.
package tools

import _ "sigs.k8s.io/cri-tools/cmd/crictl"
