package webcore

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// The stylesheet and script both realms' pages load, embedded in the
// binary: pages make no request to another origin.
//
//go:embed static
var staticFS embed.FS

// StaticFiles serves the embedded static files, files only: a directory
// (or a path ending in "/") gets notFound, never a listing.
func StaticFiles(notFound http.Handler) http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := WithStaticCache(http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if st, err := fs.Stat(sub, name); name == "" || strings.HasSuffix(name, "/") || err != nil || st.IsDir() {
			notFound.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
