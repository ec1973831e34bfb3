# Images for users with Docker. Their contents are hack/images/<image>.contents,
# laid out by hack/image-rootfs.sh: hack/images.sh packages the same layout
# without Docker (go-containerregistry) for the local-cluster tests, and
# controllers/image_test.go checks that ENTRYPOINT and USER here match it.
#
#   docker build --target server  -t zkensemble/server:dev .
#   docker build --target manager -t zkensemble/manager:dev .
#
# The base images are build args. The defaults are pulled from a registry;
# with none (hack/kind/base-images.sh makes local stand-ins and prints the args):
#   docker build $(hack/kind/base-images.sh) --target server -t zkensemble/server:dev .
# GO_IMAGE: a Go toolchain on Debian (busybox-static is installed when absent).
# BASE_IMAGE: a static base with CA certificates and the user 65532.
# PREBUILT=1 takes the three binaries from bin/docker/ in the build context
# instead of building them (make kind-e2e: built on the host, where the Go
# build cache is warm, with the flags below).
ARG GO_IMAGE=golang:1.26
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
# The Go module proxy to download from (the default when not given).
ARG GOPROXY
ARG PREBUILT
# The version the binaries report (--version, srvr): hack/version.sh.
ARG VERSION=dev
RUN [ -x /bin/busybox ] || { apt-get update && apt-get install -y --no-install-recommends busybox-static && rm -rf /var/lib/apt/lists/*; }
WORKDIR /src
COPY go.mod go.sum ./
RUN [ -n "$PREBUILT" ] || go mod download
COPY . .
RUN if [ -n "$PREBUILT" ]; then cp bin/docker/zkensemble-server bin/docker/zkcli bin/docker/manager bin/; else \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/zkensemble/zkensemble/pkg/version.Version=${VERSION}" -o bin/zkensemble-server ./cmd/zkensemble-server && \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/zkensemble/zkensemble/pkg/version.Version=${VERSION}" -o bin/zkcli ./cmd/zkcli && \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/zkensemble/zkensemble/pkg/version.Version=${VERSION}" -o bin/manager ./cmd/manager; fi && \
    hack/image-rootfs.sh server /rootfs/server && \
    hack/image-rootfs.sh manager /rootfs/manager

FROM ${BASE_IMAGE} AS server
COPY --from=build /rootfs/server/ /
USER 65532:65532
EXPOSE 2181 2281 2888 8080 7000
ENTRYPOINT ["/zkensemble-server"]

FROM ${BASE_IMAGE} AS manager
COPY --from=build /rootfs/manager/ /
USER 65532:65532
ENTRYPOINT ["/manager"]
