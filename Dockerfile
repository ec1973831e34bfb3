# Images for users with Docker. Their contents are hack/images/<image>.contents,
# laid out by hack/image-rootfs.sh: hack/images.sh packages the same layout
# without Docker (go-containerregistry) for the local-cluster tests, and
# controllers/image_test.go checks that ENTRYPOINT and USER here match it.
#
#   docker build --target server  -t zkensemble/server:dev .
#   docker build --target manager -t zkensemble/manager:dev .
FROM golang:1.26 AS build
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/zkensemble-server ./cmd/zkensemble-server && \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/zkcli ./cmd/zkcli && \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/manager ./cmd/manager && \
    hack/image-rootfs.sh server /rootfs/server && \
    hack/image-rootfs.sh manager /rootfs/manager

FROM scratch AS server
COPY --from=build /rootfs/server/ /
USER 65532:65532
EXPOSE 2181 2281 2888 8080 7000
ENTRYPOINT ["/zkensemble-server"]

FROM scratch AS manager
COPY --from=build /rootfs/manager/ /
USER 65532:65532
ENTRYPOINT ["/manager"]
