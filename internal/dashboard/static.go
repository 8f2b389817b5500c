package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// web is the front end: plain files, no build step.
//
//go:embed web
var web embed.FS

// staticHandler serves the front end. Every page path gets the app's
// index.html (the app reads the path itself); files under /assets/ are
// served as they are.
func staticHandler() http.Handler {
	root, err := fs.Sub(web, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	index, err := fs.ReadFile(root, "index.html")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/assets/"):
			w.Header().Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		case r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/releases/"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(index)
		default:
			writeError(w, http.StatusNotFound, "no such page")
		}
	})
}
