package loadtester

import "sync"

// gates are the open or closed gates of Flagger's load tester, by release:
// a confirm-promotion hook on /gate/check passes once someone called
// /gate/open for the release. Kept in memory, as Flagger keeps them: a
// restarted load tester starts with every gate closed, which holds a
// release rather than letting it through.
type gates struct {
	mu   sync.Mutex
	open map[string]bool
}

func newGates() *gates { return &gates{open: map[string]bool{}} }

func (g *gates) set(key string, open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open[key] = open
}

func (g *gates) isOpen(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open[key]
}
