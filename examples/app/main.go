// Command app is the sample service released by Sluice's examples and demo.
// It is a thin wrapper; the behaviour lives in internal/sampleapp so the
// sluice binary can run the same app without a second binary.
package main

import (
	"context"
	"fmt"
	"os"

	"sluice.dev/sluice/internal/sampleapp"
)

func main() {
	if err := sampleapp.Run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
