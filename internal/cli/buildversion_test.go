package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestReadBuildVersion(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "sluice.dev/sluice", Version: "v0.3.1"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "3c35e9c0d1ab5e2f6a7b8c9d0e1f2a3b4c5d6e7f"},
			{Key: "vcs.time", Value: "2026-05-01T12:00:00Z"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	dirty := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "sluice.dev/sluice", Version: "v0.3.2-0.20260501120000-3c35e9c0d1ab+dirty"},
		Settings:  []debug.BuildSetting{{Key: "vcs.revision", Value: "3c35e9c"}, {Key: "vcs.modified", Value: "true"}},
	}
	tests := map[string]struct {
		bi       *debug.BuildInfo
		ok       bool
		override string
		want     string
	}{
		"go install of a tag": {
			bi: stamped, ok: true,
			want: "sluice v0.3.1 (commit 3c35e9c0d1ab, 2026-05-01T12:00:00Z) go1.26.8 " + platform,
		},
		"a build from a tree with changes": {
			bi: dirty, ok: true,
			want: "sluice v0.3.2-0.20260501120000-3c35e9c0d1ab+dirty (commit 3c35e9c, modified) go1.26.8 " + platform,
		},
		"go run without VCS information": {
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "sluice.dev/sluice", Version: "(devel)"}}, ok: true,
			want: "sluice (devel) go1.26.8 " + platform,
		},
		"no build info at all": {
			ok:   false,
			want: "sluice (devel) " + runtime.Version() + " " + platform,
		},
		"a version set with -ldflags wins": {
			bi: stamped, ok: true, override: "v9.9.9-rc1",
			want: "sluice v9.9.9-rc1 (commit 3c35e9c0d1ab, 2026-05-01T12:00:00Z) go1.26.8 " + platform,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := readBuildVersion(tc.bi, tc.ok, tc.override).String()
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
