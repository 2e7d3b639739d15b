package motoserver

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

func TestStartAnswersAndStops(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL)
	}
	if !s.Running() {
		t.Fatal("not running after Start")
	}
	s.Stop()
	if s.Running() {
		t.Fatal("still running after Stop")
	}
}

func TestChildEnvDropsAWSVariables(t *testing.T) {
	t.Setenv("AWS_PROFILE", "real")
	for _, kv := range ChildEnv("AWS_REGION=us-east-1") {
		if strings.HasPrefix(kv, "AWS_PROFILE=") {
			t.Fatalf("ChildEnv kept %s", kv)
		}
	}
}

func TestLaunchAnswersAndStops(t *testing.T) {
	if _, err := exec.LookPath(Binary); err != nil {
		Require(t, "%s not on PATH: %v", Binary, err)
	}
	s, err := Launch()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	resp, err := http.Get(s.URL + "/moto-api/")
	if err != nil {
		t.Fatalf("Launch returned before %s answered: %v", s.URL, err)
	}
	resp.Body.Close()
	s.Stop()
	if s.Running() {
		t.Fatal("still running after Stop")
	}
}

func TestLaunchWithoutBinaryFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if s, err := Launch(); err == nil {
		s.Stop()
		t.Fatal("Launch succeeded with no moto_server on PATH")
	} else if !strings.Contains(err.Error(), Binary) {
		t.Fatalf("error %q does not name %s", err, Binary)
	}
}
