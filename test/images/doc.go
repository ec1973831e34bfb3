// Package images tests the multi-platform images hack/images-multiarch.sh
// builds without Docker: an OCI index with linux/amd64 and linux/arm64, each
// platform's binaries and busybox built for it, and the arm64 server
// starting under Debian's qemu-user-static. Its test has the build tag
// `images` (`make test-images`, a step of `make test` of its own: it
// cross-builds every binary, which would starve timing-sensitive tests
// running beside it in `go test ./...`).
package images
