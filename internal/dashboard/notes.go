package dashboard

import (
	"context"

	"sluice.dev/sluice/internal/release"
)

// NotedSource is a Source that also says what it could not show of a
// release, such as charts left empty because Prometheus did not answer.
// The page shows the notes, so a gap is never mistaken for a quiet,
// healthy release; a failure of one part never fails the whole page.
type NotedSource interface {
	Source
	// GetNoted is Get with the notes for people.
	GetNoted(ctx context.Context, name string) (view *release.View, live bool, notes []string, err error)
}

// getSnapshot asks the Source for a release, with notes when it has any.
func (s *Server) getSnapshot(ctx context.Context, key string) (*release.View, bool, []string, error) {
	if ns, ok := s.src.(NotedSource); ok {
		return ns.GetNoted(ctx, key) //nolint:wrapcheck // get wraps it with the key
	}
	snap, live, err := s.src.Get(ctx, key)
	return snap, live, nil, err //nolint:wrapcheck // as above
}
