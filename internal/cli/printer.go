package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

// outputFormats are the -o values `get` takes, kubectl's own.
var outputFormats = []string{"json", "yaml", "name", "wide"}

// printer prints releases the way kubectl prints objects: -o json and -o
// yaml give Release objects (a ReleaseList for several) of the same shape
// whichever shell runs them, -o name their names, -o wide a wider table.
type printer struct {
	format  string
	secrets bool
}

func newPrinter(format string, secrets bool) (*printer, error) {
	if format != "" && !slices.Contains(outputFormats, format) {
		return nil, fmt.Errorf("--output %q: use %s", format, strings.Join(outputFormats, ", "))
	}
	return &printer{format: format, secrets: secrets}, nil
}

// object is the view's Release as an API object: its kind set, and
// without the fields kubectl hides by default.
func object(v *release.View) *v1alpha1.Release {
	rel := v.Release.DeepCopy()
	rel.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("Release"))
	rel.ManagedFields = nil
	return rel
}

// runtimePrinter is cli-runtime's printer for the structured formats.
func (p *printer) runtimePrinter() printers.ResourcePrinter {
	switch p.format {
	case "json":
		return &printers.JSONPrinter{}
	case "yaml":
		return &printers.YAMLPrinter{}
	}
	return &printers.NamePrinter{}
}

// printOne prints a single release.
func (p *printer) printOne(w io.Writer, v *release.View) error {
	if p.format == "wide" {
		return p.table(w, []*release.View{v})
	}
	if err := p.runtimePrinter().PrintObj(object(v), w); err != nil {
		return fmt.Errorf("printing %s: %w", v.Release.Name, err)
	}
	return nil
}

// printList prints releases: a table, or a ReleaseList, or their names.
func (p *printer) printList(w io.Writer, views []*release.View) error {
	switch p.format {
	case "", "wide":
		return p.table(w, views)
	case "name":
		for _, v := range views {
			if err := p.printOne(w, v); err != nil {
				return err
			}
		}
		return nil
	}
	list := &v1alpha1.ReleaseList{}
	list.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("ReleaseList"))
	for _, v := range views {
		list.Items = append(list.Items, *object(v))
	}
	var obj runtime.Object = list
	if err := p.runtimePrinter().PrintObj(obj, w); err != nil {
		return fmt.Errorf("printing the releases: %w", err)
	}
	return nil
}

// table is `get`'s list, kubectl style; wide adds the namespace, the
// revisions and the message.
func (p *printer) table(w io.Writer, views []*release.View) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	wide := p.format == "wide"
	head := "NAME\tPHASE\tSTEP\tWEIGHT\tFAILED\tHEALTH\tUPDATED"
	if wide {
		head = "NAMESPACE\tNAME\tPHASE\tSTEP\tWEIGHT\tFAILED\tHEALTH\tSTABLE\tCANARY\tUPDATED\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, v := range views {
		st := v.Release.Status
		step := fmt.Sprintf("%d/%d", min(st.StepIndex+1, st.StepCount), st.StepCount)
		updated := v.UpdatedAt.Local().Format(time.DateTime)
		if !wide {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d%%\t%d\t%s\t%s\n", v.Release.Name, orDash(string(st.Phase)), step, st.CanaryWeight, st.Analysis.FailedChecks, v.Health, updated)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d%%\t%d\t%s\t%s\t%s\t%s\t%s\n", orDash(v.Release.Namespace), v.Release.Name, orDash(string(st.Phase)), step,
			st.CanaryWeight, st.Analysis.FailedChecks, v.Health, orDash(st.StableRevision), orDash(st.CanaryRevision), updated, st.Message)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
