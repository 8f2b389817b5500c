package cli

import (
	"errors"
	"fmt"
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

// loadRelease reads, defaults and checks a release file. Unknown fields and
// invalid values are errors with their field paths, all of them at once.
func loadRelease(path string) (*v1alpha1.Release, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading release file: %w", err)
	}
	rel, err := v1alpha1.DecodeRelease(data)
	if err != nil {
		var de *v1alpha1.DecodeError
		if errors.As(err, &de) {
			return nil, &invalidError{file: path, errs: append(de.Errs, lenientErrors(data)...)}
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rel.Default()
	if errs := rel.Validate(); len(errs) > 0 {
		return nil, &invalidError{file: path, errs: errs}
	}
	return rel, nil
}

// lenientErrors validates what can be read of a file that failed strict
// decoding (unknown fields, say), so one lint run shows every problem.
func lenientErrors(data []byte) field.ErrorList {
	var rel v1alpha1.Release
	if err := yaml.Unmarshal(data, &rel); err != nil {
		return nil
	}
	rel.Default()
	return rel.Validate()
}
