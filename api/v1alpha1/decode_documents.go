package v1alpha1

// Documents splits a YAML stream at its "---" lines and returns the
// documents that hold anything but blanks and comments, numbered as
// DecodeReleases numbers them (document 1 is the first of these). Tools
// that read files mixing Releases with other objects (`sluice lint` on the
// output of `sluice convert`) pick the Releases from it.
func Documents(data []byte) [][]byte {
	var out [][]byte
	for _, d := range splitDocuments(data) {
		if !emptyDocument(d) {
			out = append(out, d)
		}
	}
	return out
}
