package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PortPlaceholder in a command's arguments or environment values is
// replaced with the port Sluice chose for the version.
const PortPlaceholder = "{{port}}"

// pipeDrain bounds how long output is read after the process exited, in
// case something outside its process group still holds the pipe.
const pipeDrain = 2 * time.Second

// startProcess picks a port and starts the command; it does not wait for
// health.
func (d *Driver) startProcess(v Version) (*Instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := strconv.Itoa(port)
	args := make([]string, len(v.Spec.Command))
	for n, a := range v.Spec.Command {
		args[n] = strings.ReplaceAll(a, PortPlaceholder, p)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = v.Spec.Dir
	cmd.Env = childEnv(os.Environ(), v.Spec.Env, p)
	cmd.SysProcAttr = sysProcAttr()

	base := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", p)}
	i, err := d.newInstance(v, base)
	if err != nil {
		return nil, err
	}
	i.stderr = &lineWriter{prefix: "[" + v.Name + "] ", dst: d.opts.Stderr, dstMu: &d.outMu}
	stdout := &lineWriter{prefix: "[" + v.Name + "] ", dst: d.opts.Stdout, dstMu: &d.outMu}
	if d.opts.Stdout != nil {
		i.stdout = stdout
	}

	// The pipes are made here rather than by exec so that Wait returns as
	// soon as the process exits, even while something still holds them.
	var readers []*os.File
	var writers []*os.File
	defer func() {
		closeAll(writers)
	}()
	sinks := []*lineWriter{i.stderr}
	rErr, wErr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	readers, writers = append(readers, rErr), append(writers, wErr)
	cmd.Stderr = wErr
	if d.opts.Stdout != nil {
		rOut, wOut, err := os.Pipe()
		if err != nil {
			_ = rErr.Close()
			return nil, fmt.Errorf("stdout pipe: %w", err)
		}
		readers, writers = append(readers, rOut), append(writers, wOut)
		sinks = append(sinks, stdout)
		cmd.Stdout = wOut
	}

	if err := cmd.Start(); err != nil {
		closeAll(readers)
		return nil, fmt.Errorf("run %q: %w", strings.Join(args, " "), err)
	}
	i.proc = cmd.Process

	copied := make(chan struct{}, len(readers))
	for n, r := range readers {
		go func() {
			_, _ = io.Copy(sinks[n], r)
			sinks[n].flush()
			copied <- struct{}{}
		}()
	}
	go i.watch(cmd, readers, copied)
	d.log.Info("version started", "version", v.Name, "pid", cmd.Process.Pid, "command", args, "port", port)
	return i, nil
}

// watch reaps the process, clears its group and output, and then marks the
// instance exited.
func (i *Instance) watch(cmd *exec.Cmd, readers []*os.File, copied <-chan struct{}) {
	err := cmd.Wait()
	i.ready.Store(false)
	// Whatever the leader left behind in its group goes with it.
	_ = signalGroup(cmd.Process, sigKill)
	drain := time.NewTimer(pipeDrain)
	for range readers {
		select {
		case <-copied:
		case <-drain.C:
			closeAll(readers)
		}
	}
	drain.Stop()
	closeAll(readers)
	i.exitErr = err
	close(i.exited)
	if i.stopping.Load() {
		i.log.Info("version exited", "version", i.Name(), "pid", cmd.Process.Pid, "result", exitText(err))
	} else {
		i.log.Warn("version exited unexpectedly", "version", i.Name(), "pid", cmd.Process.Pid, "result", exitText(err))
	}
}

// exitText says how a process ended, for logs and errors.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// childEnv is Sluice's environment, then the spec's variables, then PORT.
// PORT comes last so it always names the port Sluice probes.
func childEnv(base []string, extra map[string]string, port string) []string {
	env := slices.Clone(base)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+strings.ReplaceAll(extra[k], PortPlaceholder, port))
	}
	return append(env, "PORT="+port)
}

// freePort asks the kernel for a free port on 127.0.0.1. Another program
// could take it before the child binds it; the child then fails to start and
// Start says so.
func freePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer func() { _ = ln.Close() }()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("pick a free port: listener has no TCP address")
	}
	return addr.Port, nil
}

// closeAll closes pipe ends; closing one twice is harmless and an error on
// close of a pipe carries no news.
func closeAll(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}
