package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildVersion is what a binary knows of its own build, so a bug report
// names the exact source: the module version `go install ...@v1.2.3`
// recorded (or the pseudo-version go build derives from the commit), the
// commit and its date, and whether the tree had uncommitted changes.
type buildVersion struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// develVersion is what the go command records for a main module it has no
// version for (go run, a build outside a repository).
const develVersion = "(devel)"

// readBuildVersion reads bi (ok is ReadBuildInfo's second result);
// override, when set, replaces the module version.
func readBuildVersion(bi *debug.BuildInfo, ok bool, override string) buildVersion {
	v := buildVersion{Version: develVersion, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok && bi != nil {
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Date = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if override != "" {
		v.Version = override
	}
	return v
}

// String is one line: version, then what is known of the commit.
func (v buildVersion) String() string {
	var detail []string
	if v.Commit != "" {
		detail = append(detail, "commit "+shortCommit(v.Commit))
	}
	if v.Date != "" {
		detail = append(detail, v.Date)
	}
	if v.Modified {
		detail = append(detail, "modified")
	}
	s := "sluice " + v.Version
	if len(detail) > 0 {
		s += " (" + strings.Join(detail, ", ") + ")"
	}
	return fmt.Sprintf("%s %s %s", s, v.Go, v.Platform)
}

// shortCommit keeps 12 hex digits, as many as `git log --abbrev=12` shows.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
