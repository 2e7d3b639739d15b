// Package spec hands the scaling twin (tests/twin/keda, tests/twin/karpenter) the inputs it
// must not re-type: the Kubernetes objects that decide scaling, exactly as the real Pulumi
// program registers them (the workload's ScaledObject, TriggerAuthentication and Deployment,
// the NodePool and EC2NodeClass, the subnets and the Karpenter chart values). Load gets them
// by running cmd/twin-objects, which runs the program on the offline runner's mocked resource monitor
// (package program), so the KEDA and Karpenter modules never compile the Pulumi SDKs; they
// decode the plain maps into KEDA's and Karpenter's own Go types.
//
// It also defines the file through which the KEDA half hands its decisions (messages → pods)
// to the Karpenter half (pods → nodes), the Markdown helpers of docs/scaling-table.md, and a
// moto_server starter.
package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Pulumi type tokens of the objects the twin reads from a recording.
const (
	TypeScaledObject          = "kubernetes:keda.sh/v1alpha1:ScaledObject"
	TypeTriggerAuthentication = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
	TypeDeployment            = "kubernetes:apps/v1:Deployment"
	TypeNodePool              = "kubernetes:karpenter.sh/v1:NodePool"
	TypeEC2NodeClass          = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
	TypeHelmChart             = "kubernetes:helm.sh/v4:Chart"
	TypeSubnet                = "aws:ec2/subnet:Subnet"
)

// Stacks are the environments the twin checks, in table order.
var Stacks = []string{"dev", "prod"}

// Objects are one stack's scaling-relevant Kubernetes objects, exactly as the program
// registers them (apiVersion, kind, metadata, spec).
type Objects struct {
	Stack string `json:"stack"`
	// Region is the stack's AWS region (the program's `region` output).
	Region                string         `json:"region"`
	ScaledObject          map[string]any `json:"scaledObject"`
	TriggerAuthentication map[string]any `json:"triggerAuthentication"`
	Deployment            map[string]any `json:"deployment"`
	NodePool              map[string]any `json:"nodePool"`
	EC2NodeClass          map[string]any `json:"ec2NodeClass"`
	// KarpenterValues are the values the program gives the Karpenter chart (nil if none).
	KarpenterValues map[string]any `json:"karpenterValues"`
	// Subnets are the inputs of every aws:ec2/subnet:Subnet (availabilityZone, tags, ...).
	Subnets []map[string]any `json:"subnets"`
}

var (
	loadMu sync.Mutex
	loaded = map[string]map[string]*Objects{}
)

// Load returns the objects of every stack in Stacks, from one run of
// `go run ./cmd/twin-objects` in <root>/tests/twin/spec (which runs the program for each
// stack and fails if any object is missing). The result is cached per root.
func Load(root string) (map[string]*Objects, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if objs, ok := loaded[root]; ok {
		return objs, nil
	}
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "run", "./cmd/twin-objects", "-root", root, "-stacks", strings.Join(Stacks, ","))
	cmd.Dir = filepath.Join(root, "tests", "twin", "spec")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("spec: %s in %s: %w\n%s", strings.Join(cmd.Args, " "), cmd.Dir, err, stderr.String())
	}
	var objs map[string]*Objects
	if err := json.Unmarshal(stdout.Bytes(), &objs); err != nil {
		return nil, fmt.Errorf("spec: decoding twin-objects output: %w", err)
	}
	for _, s := range Stacks {
		if objs[s] == nil {
			return nil, fmt.Errorf("spec: twin-objects printed no objects for stack %q", s)
		}
	}
	loaded[root] = objs
	return objs, nil
}

// LoadStack is Load for one stack.
func LoadStack(root, stack string) (*Objects, error) {
	objs, err := Load(root)
	if err != nil {
		return nil, err
	}
	o, ok := objs[stack]
	if !ok {
		return nil, fmt.Errorf("spec: stack %q is not one of %v", stack, Stacks)
	}
	return o, nil
}

// MustLoadStack is LoadStack at MustRepoRoot for a test: it returns the repository root and the
// stack's objects, and fails the test when either cannot be had.
func MustLoadStack(tb testing.TB, stack string) (root string, objs *Objects) {
	tb.Helper()
	root = MustRepoRoot(tb)
	objs, err := LoadStack(root, stack)
	if err != nil {
		tb.Fatal(err)
	}
	return root, objs
}

// MustRepoRoot is RepoRoot for a test: it fails the test when no root is found.
func MustRepoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// RepoRoot returns the root of the eventscale repository: the nearest directory above the
// working directory (or $EVENTSCALE_ROOT) that holds Pulumi.yaml and go.mod.
func RepoRoot() (string, error) {
	if r := os.Getenv("EVENTSCALE_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "Pulumi.yaml")) && fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("spec: no directory above the working directory holds Pulumi.yaml and go.mod (set EVENTSCALE_ROOT)")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Get walks nested maps along path and returns the value there (nil if absent).
func Get(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// Str is Get for string values ("" if absent or not a string).
func Str(m map[string]any, path ...string) string {
	s, _ := Get(m, path...).(string)
	return s
}

// Decode re-encodes a plain object as JSON and decodes it strictly into out (an upstream Go
// type such as KEDA's ScaledObject or Karpenter's NodePool): a field the type does not know
// is an error, so the twin never silently ignores part of what the program sets.
func Decode(obj map[string]any, out any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("decoding %s %q into %T: %w", Str(obj, "kind"), Str(obj, "metadata", "name"), out, err)
	}
	return nil
}

// Fingerprint is a short stable hash of values (maps are JSON-encoded with sorted keys); the
// KEDA half stamps its decisions with the fingerprint of the ScaledObject they were made for,
// and the Karpenter half refuses decisions made for another one.
func Fingerprint(values ...any) string {
	h := sha256.New()
	for _, v := range values {
		b, err := json.Marshal(v) // encoding/json sorts map keys
		if err != nil {
			panic(fmt.Sprintf("spec: fingerprint: %v", err))
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// ModuleVersion returns "path version" of a module as the Go module in dir resolves it (the
// replacement's version when it is replaced), with `go list -m`.
func ModuleVersion(dir, path string) (string, error) {
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "list", "-m", "-f", "{{.Path}} {{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}", path)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s in %s: %w", path, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}
