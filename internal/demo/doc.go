// Package demo runs `sluice demo`: two releases of the built-in sample app,
// one healthy canary that is promoted and one faulty canary that is rolled
// back, through the very runner, proxy and engine that `sluice run` uses.
package demo
