# syntax=docker/dockerfile:1
#
# The Sluice image: one static binary, no shell, a non-root user.
#
#   make image                       # docker build -t ghcr.io/sluice-dev/sluice:<version> .
#   make image IMAGE=registry.example/sluice VERSION=v0.1.0
#
# The same image runs `sluice controller` (charts/sluice, config/default) and
# `sluice loadtester` (the chart's loadtester.enabled); the manifests call the
# binary by name, so it sits on the PATH.

# Build stage: the Go version of go.mod, modules cached between builds.
FROM golang:1.26 AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# VERSION names the build (sluice version); empty keeps what the go command
# derives from the commit. -trimpath keeps the builder's paths out of the binary.
ARG VERSION=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X sluice.dev/sluice/internal/cli.Version=${VERSION}" \
      -o /out/sluice ./cmd/sluice

# Run stage: distroless static (CA certificates, /etc/passwd, no shell), as
# the numeric user the manifests' runAsUser names, so runAsNonRoot can be
# checked by the kubelet.
FROM gcr.io/distroless/static-debian12:nonroot AS run
COPY --from=build /out/sluice /usr/local/bin/sluice
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["controller"]
