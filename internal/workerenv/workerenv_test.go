package workerenv

import (
	"strconv"
	"testing"
)

func TestDefaultHealthAddrIsHealthPort(t *testing.T) {
	t.Parallel()
	if want := ":" + strconv.Itoa(HealthPort); DefaultHealthAddr != want {
		t.Fatalf("DefaultHealthAddr = %q, want %q (HealthPort)", DefaultHealthAddr, want)
	}
}
