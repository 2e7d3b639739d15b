package motoserver

import (
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
