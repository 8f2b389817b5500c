# Sluice's make targets. `make demo` and `make test` are the README's two
# commands; both install what they need on a fresh machine.
export GOTOOLCHAIN := local
GO ?= go

.PHONY: demo test build lint generate fmt

demo: ## Run the demo: a promoted and a rolled-back release, nothing to install
	$(GO) run ./cmd/sluice demo

test: ## Everything CI runs: format, vet, lint, unit and end-to-end tests
	./hack/test.sh

build:
	$(GO) build -o bin/sluice ./cmd/sluice

lint:
	./hack/lint.sh

generate: ## Regenerate deepcopy code
	./hack/generate.sh

fmt:
	gofmt -w $$(git ls-files '*.go')
