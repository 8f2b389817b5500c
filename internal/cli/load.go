package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/loadgen"
)

func newLoadCommand(g *globals) *cobra.Command {
	var (
		cfg     loadgen.Config
		headers []string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "load URL",
		Short: "Send steady load to a local URL (loopback only) and count the answers by version",
		Example: `  sluice load --rate 50 --duration 3m http://127.0.0.1:8080/
  sluice load -H 'x-canary: always' --rate 5 --duration 30s http://127.0.0.1:8080/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Target = args[0]
			cfg.Headers = http.Header{}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, ":")
				if !ok {
					return fmt.Errorf("--header %q: want 'Name: value'", h)
				}
				cfg.Headers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
			stats, err := loadgen.Run(cmd.Context(), cfg)
			if err != nil && cmd.Context().Err() == nil {
				return fmt.Errorf("load: %w", err)
			}
			if asJSON {
				return json.NewEncoder(g.out).Encode(stats)
			}
			fmt.Fprintf(g.out, "%d sent in %s: %d ok, %d non-2xx, %d errors\n", stats.Sent, stats.Elapsed.Round(time.Millisecond), stats.OK, stats.Non2xx, stats.Errors)
			for v, c := range stats.ByVersion {
				fmt.Fprintf(g.out, "  %-8s %d ok, %d non-2xx\n", v, c.OK, c.Non2xx)
			}
			return nil
		},
	}
	cmd.Flags().Float64Var(&cfg.Rate, "rate", 20, "requests per second")
	cmd.Flags().DurationVar(&cfg.Duration, "duration", time.Minute, "how long to send (at most 10m)")
	cmd.Flags().IntVar(&cfg.Concurrency, "concurrency", 0, "requests in flight at most (default 64)")
	cmd.Flags().StringArrayVarP(&headers, "header", "H", nil, "header to send, 'Name: value'; repeatable")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the counts as JSON")
	return cmd
}
