package spec

import (
	"strings"
	"testing"
)

func TestReadmeBlock(t *testing.T) {
	got, ok, err := ReadmeBlock("a\n" + ReadmeBegin + "\n| x |\n" + ReadmeEnd + "\nb")
	if err != nil || !ok || got != "| x |" {
		t.Fatalf("got %q %v %v", got, ok, err)
	}
	if _, ok, err := ReadmeBlock("no markers"); ok || err != nil {
		t.Fatalf("no markers: %v %v", ok, err)
	}
	if _, _, err := ReadmeBlock(ReadmeBegin + " only"); err == nil {
		t.Fatal("one marker must be an error")
	}
	if _, _, err := ReadmeBlock(ReadmeEnd + ReadmeBegin); err == nil {
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
