//go:build !unix

package proxy

// clientLoop is unused where reads are not raw.
type clientLoop struct{}

// serveReady is false: the caller serves with plain reads.
func (c *h1conn) serveReady() bool { return false }

// read reads the client's bytes into b.
func (c *h1conn) read(b []byte) (int, error) { return c.io.Read(b) }

// shutdown closes the connection.
func (x *rawIO) shutdown() { _ = x.nc.Close() }
