package demo

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	enterNetns()
	code := m.Run()
	if workerDir != "" {
		os.RemoveAll(workerDir)
	}
	os.Exit(code)
}
