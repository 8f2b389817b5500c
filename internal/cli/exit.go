package cli

import "errors"

// exitCoder lets a command choose its exit code (lint and run use it so
// scripts can tell "invalid" from "rolled back").
type exitCoder interface {
	error
	ExitCode() int
}

type codeError struct {
	err  error
	code int
}

func (e codeError) Error() string { return e.err.Error() }
func (e codeError) Unwrap() error { return e.err }
func (e codeError) ExitCode() int { return e.code }

var _ exitCoder = codeError{}

func asExitCoder(err error, target *exitCoder) bool { return errors.As(err, target) }

// Exit codes shared by run and demo.
const (
	exitFailed     = 1
	exitRolledBack = 2
	// exitInterrupted is what a shell expects of a command ended by
	// Ctrl-C (128 + SIGINT).
	exitInterrupted = 130
)
