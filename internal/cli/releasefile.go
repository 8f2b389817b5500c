package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/api/v1alpha1"
)

// invalidError lists every problem of a release file, one per line, each
// with its field path.
type invalidError struct {
	file string
	errs field.ErrorList
}

func (e *invalidError) Error() string {
	lines := make([]string, 0, len(e.errs)+1)
	lines = append(lines, fmt.Sprintf("%s: %d error(s)", e.file, len(e.errs)))
	for _, fe := range e.errs {
		lines = append(lines, "  "+v1alpha1.FormatError(fe))
	}
	return strings.Join(lines, "\n")
}

// maxReleaseFile bounds a release file: a Release is a few kilobytes, and
// one read whole must not take the machine's memory (a mistyped path to a
// disk image, /dev/zero).
const maxReleaseFile = 1 << 20

// readReleaseFile reads a release file, or standard input for "-", at most
// maxReleaseFile bytes. It gives up when ctx ends: a FIFO nobody writes to
// blocks its reader, and Ctrl-C must still end the command.
func readReleaseFile(ctx context.Context, path string, stdin io.Reader) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		r := stdin
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				done <- result{err: fmt.Errorf("reading release file: %w", err)}
				return
			}
			defer func() { _ = f.Close() }()
			r = f
		}
		data, err := io.ReadAll(io.LimitReader(r, maxReleaseFile+1))
		switch {
		case err != nil:
			err = fmt.Errorf("reading release file %s: %w", path, err)
		case len(data) > maxReleaseFile:
			err = fmt.Errorf("%s: a release file is at most %d KiB; is this the right file?", path, maxReleaseFile>>10)
		}
		done <- result{data: data, err: err}
	}()
	select {
	case res := <-done:
		return res.data, res.err
	case <-ctx.Done():
		return nil, fmt.Errorf("reading release file %s: %w", path, ctx.Err())
	}
}

// loadRelease reads, defaults and checks a release file ("-" for standard
// input). Unknown fields and invalid values are errors with their field
// paths, all of them at once.
func loadRelease(ctx context.Context, path string, stdin io.Reader) (*v1alpha1.Release, error) {
	data, err := readReleaseFile(ctx, path, stdin)
	if err != nil {
		return nil, err
	}
	return checkRelease(path, data)
}

// checkRelease decodes, defaults and validates one release document; name
// says where it came from in the errors.
func checkRelease(name string, data []byte) (*v1alpha1.Release, error) {
	rel, err := v1alpha1.DecodeRelease(data)
	if err != nil {
		var de *v1alpha1.DecodeError
		if errors.As(err, &de) {
			return nil, &invalidError{file: name, errs: append(de.Errs, lenientErrors(de.Errs, data)...)}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rel.Default()
	if errs := rel.Validate(); len(errs) > 0 {
		return nil, &invalidError{file: name, errs: errs}
	}
	return rel, nil
}

// lenientErrors validates what can be read of a file that failed strict
// decoding (unknown fields, say), so one lint run shows every problem.
// When the document as a whole is wrong (empty, not YAML, not a Release)
// there is nothing to validate, and every further error would only
// follow from the first.
func lenientErrors(decodeErrs field.ErrorList, data []byte) field.ErrorList {
	for _, e := range decodeErrs {
		if e.Field == "" || e.Field == "kind" {
			return nil
		}
	}
	var rel v1alpha1.Release
	if err := yaml.Unmarshal(data, &rel); err != nil {
		return nil
	}
	rel.Default()
	return rel.Validate()
}
