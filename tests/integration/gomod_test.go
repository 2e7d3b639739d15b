package integration

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGoModRequire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "go.mod")
	gomod := `module example.com/wrapper

go 1.26.8

replace example.com/a => example.com/a v9.9.9

require example.com/b v0.2.0

require (
	example.com/a v1.2.3 // indirect
	example.com/ab v4.0.0
)
`
	if err := os.WriteFile(path, []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	for module, want := range map[string]string{
		"example.com/a": "v1.2.3", // the requirement, not the replacement's version
		"example.com/b": "v0.2.0", // a single-line require
	} {
		if got, err := GoModRequire(path, module); err != nil || got != want {
			t.Errorf("GoModRequire(%s) = %q, %v; want %q", module, got, err, want)
		}
	}
	if got, err := GoModRequire(path, "example.com/c"); err == nil {
		t.Errorf("GoModRequire(example.com/c) = %q, want an error: it is not required", got)
	}
}
