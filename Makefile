# Sluice's make targets. `make demo` and `make test` are the README's two
# commands; both install what they need on a fresh machine.
export GOTOOLCHAIN := local
GO ?= go
# The image `make image` builds; the chart (charts/sluice/values.yaml) and
# kustomize (config/manager) name the same repository.
IMAGE ?= ghcr.io/sluice-dev/sluice
# What `sluice version` says; default: the commit, as git describes it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DOCKER ?= docker

.PHONY: demo test build install image lint generate fmt

demo: ## Run the demo: a promoted and a rolled-back release, nothing to install
	$(GO) run ./cmd/sluice demo

test: ## Everything CI runs: format, vet, lint, unit and end-to-end tests
	./hack/test.sh

build: ## Build bin/sluice
	$(GO) build -o bin/sluice ./cmd/sluice

install: ## Install sluice into $(go env GOBIN) or ~/go/bin, with its version from the commit
	$(GO) install ./cmd/sluice

image: ## Build the container image $(IMAGE):$(VERSION) from the Dockerfile (needs docker or DOCKER=podman)
	$(DOCKER) build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) .

lint:
	./hack/lint.sh

generate: ## Regenerate deepcopy code
	./hack/generate.sh

fmt:
	gofmt -w $$(git ls-files '*.go')
