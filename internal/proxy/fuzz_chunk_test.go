package proxy

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzChunkFollower checks the gate's chunk follower (gatechunk.go)
// against net/http's chunked reader on the same bytes, fed in two pieces:
// where the follower finds the body's end, net/http reads the body and
// stops at the same byte; where net/http reads a body, the follower stops
// at the same byte or fails. A follower that read on past net/http's end
// would let net/http read a head the gate never screened.
func FuzzChunkFollower(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n",
		"3;ext=1\r\nabc\r\n0\r\n\r\n",
		"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\nrest",
		"3 \r\nabc\r\n0\r\n\r\n",
		"3\nabc\n0\n\n",
		"0\r\nX: a\r\n\nGET /x HTTP/1.1\r\n\r\n",
		"10000000000000000\r\n",
		"3\r\nabcd\r\n0\r\n\r\n",
		"a;x=\"y\"\r\n0123456789\r\n000\r\n\r\n",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(5))
	}
	f.Fuzz(func(t *testing.T, data string, split uint8) {
		k := min(int(split), len(data))
		var fl chunkFollower
		end, done, failed := 0, false, false
		for _, piece := range []string{data[:k], data[k:]} {
			if done || failed {
				break
			}
			n, d, err := fl.scan([]byte(piece))
			end += n
			done, failed = d, err != nil
		}

		br := bufio.NewReader(strings.NewReader("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + data))
		in, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("net/http refuses the head: %v", err)
		}
		_, err = io.ReadAll(in.Body)
		rest, _ := io.ReadAll(br)
		httpOK := err == nil
		httpEnd := len(data) - len(rest)
		switch {
		case done && !httpOK:
			t.Fatalf("%q: the follower ends the body at %d; net/http fails: %v", data, end, err)
		case done && httpEnd != end:
			t.Fatalf("%q: the follower ends the body at %d, net/http at %d", data, end, httpEnd)
		case httpOK && !done && !failed:
			t.Fatalf("%q: net/http ends the body at %d; the follower reads on", data, httpEnd)
		}
	})
}
