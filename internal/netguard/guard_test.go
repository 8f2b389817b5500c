package netguard

import (
	"strings"
	"testing"
)

func TestControl(t *testing.T) {
	tests := map[string]struct {
		address, want string
	}{
		"loopback":               {address: "127.0.0.1:80"},
		"a private address":      {address: "10.0.0.7:8080"},
		"IPv6 loopback":          {address: "[::1]:80"},
		"the metadata endpoint":  {address: "169.254.169.254:80", want: "link-local"},
		"link-local IPv6":        {address: "[fe80::1]:80", want: "link-local"},
		"AWS metadata on IPv6":   {address: "[fd00:ec2::254]:80", want: "instance-metadata"},
		"metadata mapped to v6":  {address: "[::ffff:169.254.169.254]:80", want: "link-local"},
		"not an address at all":  {address: "nowhere", want: "dial nowhere"},
		"a name, not an address": {address: "metadata.example:80", want: "dial metadata.example:80"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := Control("tcp", tc.address, nil)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Control(%s) = %v, want %q", tc.address, err, tc.want)
			}
		})
	}
}
