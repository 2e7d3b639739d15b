package spec

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestCopyBlock(t *testing.T) {
	got, ok, err := CopyBlock("a\n" + CopyBegin + "\n| x |\n" + CopyEnd + "\nb")
	if err != nil || !ok || got != "| x |" {
		t.Fatalf("got %q %v %v", got, ok, err)
	}
	if _, ok, err := CopyBlock("no markers"); ok || err != nil {
		t.Fatalf("no markers: %v %v", ok, err)
	}
	if _, _, err := CopyBlock(CopyBegin + " only"); err == nil {
		t.Fatal("one marker must be an error")
	}
	if _, _, err := CopyBlock(CopyEnd + CopyBegin); err == nil {
		t.Fatal("reversed markers must be an error")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMotoStartsOnLoopbackAndStops(t *testing.T) {
	var m *Moto
	t.Run("start", func(t *testing.T) {
		m = StartMoto(t)
		if !strings.HasPrefix(m.URL, "http://127.0.0.1:") {
			t.Fatalf("URL %q", m.URL)
		}
		if !m.Running() {
			t.Fatal("not running")
		}
	})
	if m != nil && m.Running() {
		t.Fatal("moto_server still running after its test ended")
	}
}

func TestLaunchMotoSetsDummyCredentials(t *testing.T) {
	if _, err := exec.LookPath(MotoBinary); err != nil {
		Require(t, "%s not on PATH: %v", MotoBinary, err)
	}
	// t.Setenv restores both when the test ends, whatever LaunchMoto did to them.
	t.Setenv("AWS_ACCESS_KEY_ID", "real-key")
	t.Setenv("AWS_PROFILE", "real")
	m, err := LaunchMoto()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	if !strings.HasPrefix(m.URL, "http://127.0.0.1:") || !m.Running() {
		t.Fatalf("URL %q, running %v", m.URL, m.Running())
	}
	if got := os.Getenv("AWS_ACCESS_KEY_ID"); got != "test" {
		t.Errorf("AWS_ACCESS_KEY_ID = %q after LaunchMoto, want the dummy %q", got, "test")
	}
	if v, ok := os.LookupEnv("AWS_PROFILE"); ok {
		t.Errorf("AWS_PROFILE still set (%q) after LaunchMoto", v)
	}
}
