package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/convert"
)

func newConvertCommand(g *globals) *cobra.Command {
	var (
		files  []string
		report bool
	)
	cmd := &cobra.Command{
		Use:   "convert -f FILE [-f FILE...]",
		Short: "Write a Release (and the objects it needs) from a Flagger Canary or an Argo Rollout",
		Long: `Read a Flagger Canary (flagger.app/v1beta1) or an Argo Rollout (argoproj.io/v1alpha1)
together with the objects it refers to — its MetricTemplates and AlertProviders, or
its AnalysisTemplates, Services, VirtualService and DestinationRule — and write the
Sluice Release and the objects it needs as YAML on standard output.

A Canary becomes the target form (Sluice keeps <target>-primary and -canary, as
Flagger did), with the Service and the VirtualService or HTTPRoute Flagger generated
written out. A Rollout's pod template becomes two Deployments, <name>-stable and an
idle <name>-canary; a Rollout with a workloadRef becomes the target form.

Every field of the input is accounted for: the comments above the Release list each
field that is not mapped and why, and what works differently; --report prints where
every field went. Fields sluice convert does not know are warned about on standard
error. The exit code is 1 if an object could not be converted.`,
		Example: `  sluice convert -f canary.yaml -f metric-templates.yaml > release.yaml
  kubectl get canary,metrictemplate,alertprovider -n shop -o yaml | sluice convert -f - | sluice lint -
  sluice convert -f rollout.yaml -f analysis.yaml --report 2> report.txt`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			files = append(files, args...)
			if len(files) == 0 {
				return errors.New("give the files to convert: sluice convert -f FILE, or -f - for standard input")
			}
			var data []byte
			for _, f := range files {
				b, err := readReleaseFile(cmd.Context(), f, cmd.InOrStdin())
				if err != nil {
					return err
				}
				data = append(append(data, b...), "\n---\n"...)
			}
			in, err := convert.Parse(data)
			if err != nil {
				return fmt.Errorf("reading the input: %w", err)
			}
			results, convErr := convert.Convert(in)
			if err := convert.Write(g.out, in, results); err != nil {
				return err
			}
			if report {
				if err := convert.WriteReport(g.errOut, results); err != nil {
					return err
				}
			}
			invalid := summarizeConversion(g, results)
			switch {
			case convErr != nil:
				return codeError{err: fmt.Errorf("convert: %w", convErr), code: exitFailed}
			case invalid:
				return codeError{err: errors.New("convert: a Release written is not valid (see above)"), code: exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", nil, "file of YAML objects (- for standard input); repeatable")
	cmd.Flags().BoolVar(&report, "report", false, "print on standard error where every field went, or why it did not")
	return cmd
}

// summarizeConversion says on standard error what each conversion gave, warns about
// unknown fields, and checks each Release as lint would; it reports
// whether one is invalid.
func summarizeConversion(g *globals, results []*convert.Result) bool {
	invalid := false
	for _, r := range results {
		mapped, dropped, unknown := r.Counts()
		fmt.Fprintf(g.errOut, "%s → Release %s and %d object(s): %d fields mapped, %d not mapped (listed in the comments)\n",
			r.Source, r.Release.Name, len(r.Objects), mapped, dropped)
		if unknown > 0 {
			fmt.Fprintf(g.errOut, "  warning: %d field(s) unknown to sluice convert; check them by hand:\n", unknown)
			for _, sf := range r.Fields {
				for _, f := range sf.Fields {
					if f.Unknown {
						fmt.Fprintf(g.errOut, "    %s %s\n", sf.Object, f.Path)
					}
				}
			}
		}
		rel := r.Release.DeepCopy()
		rel.Default()
		for _, e := range rel.Validate() {
			invalid = true
			fmt.Fprintf(g.errOut, "  invalid: %s\n", v1alpha1.FormatError(e))
		}
	}
	return invalid
}
