package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// lintInput is one file to lint. explicit is false for files found in a
// directory or by a pattern, where a file without a Release (a
// kustomization.yaml, a Deployment) is expected and skipped quietly.
type lintInput struct {
	path     string
	explicit bool
}

// lintExtensions are the files a directory is searched for.
var lintExtensions = []string{".yaml", ".yml", ".json"}

// lintInputs expands the arguments of lint: "-" is standard input, a
// directory its release files, a path that does not exist but holds a
// glob metacharacter a pattern (for a pattern the shell did not expand,
// quoted or on Windows). Each file is linted once.
func lintInputs(args []string, recursive bool) ([]lintInput, error) {
	if len(args) == 0 {
		return nil, errors.New("give the files to lint: sluice lint FILE|DIR|GLOB..., or - for standard input")
	}
	var (
		out  []lintInput
		seen = map[string]bool{}
	)
	add := func(path string, explicit bool) {
		if !seen[path] {
			seen[path] = true
			out = append(out, lintInput{path: path, explicit: explicit})
		}
	}
	for _, a := range args {
		if a == "-" {
			add(a, true)
			continue
		}
		fi, err := os.Stat(a)
		switch {
		case err == nil && fi.IsDir():
			found, err := dirFiles(a, recursive)
			if err != nil {
				return nil, err
			}
			if len(found) == 0 {
				return nil, fmt.Errorf("%s: no %s files in the directory", a, strings.Join(lintExtensions, ", "))
			}
			for _, f := range found {
				add(f, false)
			}
		case err == nil:
			add(a, true)
		case errors.Is(err, fs.ErrNotExist) && strings.ContainsAny(a, "*?["):
			matches, gerr := filepath.Glob(a)
			if gerr != nil {
				return nil, fmt.Errorf("%s: %w", a, gerr)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("%s: no file matches", a)
			}
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && !fi.IsDir() {
					add(m, false)
				}
			}
		default:
			// readReleaseFile reports it, with the other files' results.
			add(a, true)
		}
	}
	return out, nil
}

// dirFiles lists the release files of a directory, sorted; hidden
// directories (.git) are not entered.
func dirFiles(dir string, recursive bool) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if slices.Contains(lintExtensions, strings.ToLower(filepath.Ext(path))) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading directory %s: %w", dir, err)
	}
	slices.Sort(out)
	return out, nil
}
