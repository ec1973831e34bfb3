# Images for users with Docker. The same two images are built without Docker
# (go-containerregistry) for the local-cluster tests; see hack/.
#
#   docker build --target server  -t zkensemble/server:dev .
#   docker build --target manager -t zkensemble/manager:dev .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/zkensemble-server ./cmd/zkensemble-server && \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/zkcli ./cmd/zkcli && \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/manager ./cmd/manager

FROM gcr.io/distroless/static:nonroot AS server
COPY --from=build /out/zkensemble-server /zkensemble-server
COPY --from=build /out/zkcli /zkcli
USER 65532:65532
EXPOSE 2181 2888 8080
ENTRYPOINT ["/zkensemble-server"]

FROM gcr.io/distroless/static:nonroot AS manager
COPY --from=build /out/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
