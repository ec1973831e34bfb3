// Package version holds the version the binaries report: `git describe
// --tags --always --dirty` of the tree they were built from, stamped by the
// linker (-ldflags "-X github.com/zkensemble/zkensemble/pkg/version.Version=...",
// see hack/version.sh and the Makefile). A build without the stamp (go
// install, go test) reports "dev" or, when Go recorded it, the module version.
package version
