package karpenter

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	awsapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	kwok "sigs.k8s.io/karpenter/kwok/cloudprovider"
	kwokoptions "sigs.k8s.io/karpenter/kwok/options"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	kscheduling "sigs.k8s.io/karpenter/pkg/scheduling"

	"github.com/eventscale/eventscale/tests/twin/spec"
)

// kwokTypes writes opts to a file and reads it back with the kwok provider's own
// ConstructInstanceTypes, as the provider does with --instance-types-file-path.
func kwokTypes(t *testing.T, opts []kwok.InstanceTypeOptions) []*cloudprovider.InstanceType {
	t.Helper()
	b, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "instance-types.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := kwokoptions.ToContext(context.Background(), &kwokoptions.Options{InstanceTypesFilePath: path})
	its, err := kwok.ConstructInstanceTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return its
}

// offeringKeys are an instance type's available offerings as "zone/capacity-type/price".
func offeringKeys(it *cloudprovider.InstanceType) []string {
	var out []string
	for _, o := range it.Offerings.Available() {
		out = append(out, o.Zone()+"/"+o.CapacityType()+"/"+strconv.FormatFloat(o.Price, 'g', -1, 64))
	}
	slices.Sort(out)
	return out
}

// TestKWOKInstanceTypesRoundTrip checks, for each stack, that the kwok provider reads the file
// KWOKInstanceTypes describes back into the twin's allowed instance types: the same names once
// each, the same arch and os, the file's resources and kwok's capacity both the twin type's EC2
// capacity (cpu, memory, pods, ephemeral-storage), the same zones, capacity types and prices, the type's
// karpenter.k8s.aws labels on every offering, and that the NodePool's full requirements admit,
// among kwok's forms of all the twin's instance types, exactly the allowed ones.
func TestKWOKInstanceTypesRoundTrip(t *testing.T) {
	for _, stack := range spec.Stacks {
		t.Run(stack, func(t *testing.T) {
			e := setup(t, stack)
			c := e.cluster
			opts, err := KWOKInstanceTypes(c)
			if err != nil {
				t.Fatal(err)
			}
			again, err := KWOKInstanceTypes(c)
			if err != nil {
				t.Fatal(err)
			}
			b1, _ := json.Marshal(opts)
			b2, _ := json.Marshal(again)
			if !bytes.Equal(b1, b2) {
				t.Fatal("two calls of KWOKInstanceTypes describe different files")
			}

			allowed := map[string]*cloudprovider.InstanceType{}
			var want []string
			for _, it := range c.Allowed() {
				allowed[it.Name] = it
				want = append(want, it.Name)
			}
			opt := map[string]kwok.InstanceTypeOptions{}
			for _, o := range opts {
				opt[o.Name] = o
			}
			its := kwokTypes(t, opts)
			var got []string
			for _, it := range its {
				got = append(got, it.Name)
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("kwok reads %d types %v; the NodePool allows %d: %v", len(got), got, len(want), want)
			}

			npReqs := kscheduling.NewNodeSelectorRequirementsWithMinValues(c.NodePool.Spec.Template.Spec.Requirements...)
			npArch := npReqs.Get(corev1.LabelArchStable)
			for _, k := range its {
				tw := allowed[k.Name]
				if a, wantA := k.Requirements.Get(corev1.LabelArchStable).Values(), tw.Requirements.Get(corev1.LabelArchStable).Values(); !slices.Equal(a, wantA) || len(a) != 1 || !npArch.Has(a[0]) {
					t.Errorf("%s: kwok arch %v, twin %v, NodePool %s", k.Name, a, wantA, npArch)
				}
				if o, wantO := k.Requirements.Get(corev1.LabelOSStable).Values(), tw.Requirements.Get(corev1.LabelOSStable).Values(); !slices.Equal(o, wantO) {
					t.Errorf("%s: kwok os %v, twin %v", k.Name, o, wantO)
				}
				if d := capacityDiff(opt[k.Name].Resources, tw.Capacity); len(d) > 0 {
					t.Errorf("%s: the file's resources differ from the twin type's EC2 capacity (file/EC2): %v", k.Name, d)
				}
				if d := capacityDiff(k.Capacity, tw.Capacity); len(d) > 0 {
					t.Errorf("%s: kwok's capacity differs from the twin type's EC2 capacity (kwok/EC2): %v", k.Name, d)
				}
				if _, ok := tw.Capacity[corev1.ResourceCPU]; !ok {
					t.Errorf("%s: the twin type has no cpu capacity", k.Name)
				}
				if g, w := offeringKeys(k), offeringKeys(tw); !slices.Equal(g, w) {
					t.Errorf("%s: kwok offerings %v, twin's available offerings %v", k.Name, g, w)
				}
				// Every offering carries the twin type's single-valued karpenter.k8s.aws labels,
				// among them every key of that domain the NodePool requires.
				wantAWS := awsRequirementKeys(tw)
				for _, of := range k.Offerings {
					if g := awsRequirementKeys(&cloudprovider.InstanceType{Requirements: of.Requirements}); !slices.Equal(g, wantAWS) {
						t.Errorf("%s: a kwok offering's karpenter.k8s.aws requirements %v; the twin type's %v", k.Name, g, wantAWS)
					}
					for key := range npReqs {
						if strings.HasPrefix(key, awsapis.Group+"/") && !of.Requirements.Has(key) {
							t.Errorf("%s: a kwok offering has no %s requirement, which the NodePool constrains (%s)", k.Name, key, npReqs.Get(key))
						}
					}
				}
			}

			// The NodePool's full requirements admit, from kwok's view of every instance type the
			// twin resolves, exactly the twin's allowed types, by the test Cluster.Allowed uses.
			var all []kwok.InstanceTypeOptions
			for _, it := range c.InstanceTypes {
				if o, err := kwokInstanceType(it); err == nil {
					all = append(all, o)
				} else if allowed[it.Name] != nil {
					t.Errorf("%s is allowed but has no kwok form: %v", it.Name, err)
				}
			}
			var admitted []string
			for _, k := range kwokTypes(t, all) {
				if k.Requirements.Intersects(npReqs) == nil && len(k.Offerings.Available().Compatible(npReqs)) > 0 {
					admitted = append(admitted, k.Name)
				}
			}
			slices.Sort(admitted)
			if !slices.Equal(admitted, want) {
				t.Errorf("the NodePool's requirements %s admit %d of kwok's %d types %v; the twin allows %d: %v", npReqs, len(admitted), len(all), admitted, len(want), want)
			}
			if len(all) <= len(want) {
				t.Errorf("kwok describes %d types and the NodePool allows %d: the check above rejects none", len(all), len(want))
			}
		})
	}
}

// capacityResources are the resources of an instance type's capacity that the kwok file carries.
var capacityResources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods, corev1.ResourceEphemeralStorage}

// capacityDiff lists the capacityResources in which got and want differ, as "name got/want" ("-"
// for a missing one); it is empty when both have the same of each (compared by value).
func capacityDiff(got, want corev1.ResourceList) []string {
	var out []string
	for _, k := range capacityResources {
		g, gok := got[k]
		w, wok := want[k]
		if gok != wok || (gok && g.Cmp(w) != 0) {
			gs, ws := "-", "-"
			if gok {
				gs = g.String()
			}
			if wok {
				ws = w.String()
			}
			out = append(out, string(k)+" "+gs+"/"+ws)
		}
	}
	return out
}

// awsRequirementKeys are the requirements of it in karpenter-provider-aws's label domain with
// operator In and one value, as "key=value", sorted.
func awsRequirementKeys(it *cloudprovider.InstanceType) []string {
	var out []string
	for key, r := range it.Requirements {
		if strings.HasPrefix(key, awsapis.Group+"/") && r.Operator() == corev1.NodeSelectorOpIn && r.Len() == 1 {
			out = append(out, key+"="+r.Any())
		}
	}
	slices.Sort(out)
	return out
}

// fakeType is an instance type with the given arch values, one available on-demand offering
// and 2 CPU / 8Gi / 29 pods of capacity, for the error paths of KWOKInstanceTypes.
func fakeType(name string, archs ...string) *cloudprovider.InstanceType {
	return &cloudprovider.InstanceType{
		Name: name,
		Requirements: kscheduling.NewRequirements(
			kscheduling.NewRequirement(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, name),
			kscheduling.NewRequirement(corev1.LabelArchStable, corev1.NodeSelectorOpIn, archs...),
			kscheduling.NewRequirement(corev1.LabelOSStable, corev1.NodeSelectorOpIn, "linux"),
		),
		Offerings: cloudprovider.Offerings{{
			Requirements: kscheduling.NewRequirements(
				kscheduling.NewRequirement(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "zone-a"),
				kscheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, karpv1.CapacityTypeOnDemand),
			),
			Price: 0.1, Available: true,
		}},
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("29"),
		},
		Overhead: &cloudprovider.InstanceTypeOverhead{},
	}
}

func TestKWOKInstanceTypesRejects(t *testing.T) {
	for name, its := range map[string][]*cloudprovider.InstanceType{
		"two arch values":     {fakeType("a.large", "amd64", "arm64")},
		"a name listed twice": {fakeType("a.large", "amd64"), fakeType("a.large", "amd64")},
		"no allowed type":     nil,
		"no room after kwok's kube-reserved": {func() *cloudprovider.InstanceType {
			it := fakeType("a.nano", "amd64")
			it.Capacity[corev1.ResourceCPU] = resource.MustParse("100m")
			return it
		}()},
	} {
		t.Run(name, func(t *testing.T) {
			c := &Cluster{NodePool: &karpv1.NodePool{}, InstanceTypes: its, DaemonSets: EKSDaemonSets()}
			if got, err := KWOKInstanceTypes(c); err == nil {
				t.Fatalf("KWOKInstanceTypes accepted it: %+v", got)
			}
		})
	}
	c := &Cluster{NodePool: &karpv1.NodePool{}, InstanceTypes: []*cloudprovider.InstanceType{fakeType("b.large", "arm64"), fakeType("a.large", "amd64")}, DaemonSets: EKSDaemonSets()}
	got, err := KWOKInstanceTypes(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "a.large" || got[1].Architecture != "arm64" {
		t.Fatalf("got %+v; want a.large then b.large (arm64)", got)
	}
	if d := capacityDiff(got[0].Resources, fakeType("a.large", "amd64").Capacity); len(d) > 0 {
		t.Errorf("a.large resources differ from its capacity (file/capacity): %v", d)
	}
}

// TestKWOKInstanceTypesCommand builds ./cmd/kwok-instance-types and runs it for dev as the demo
// tier does: it writes the same file KWOKInstanceTypes describes, prints one line, and fails
// with a message (and nothing on stdout) for an unknown stack.
func TestKWOKInstanceTypesCommand(t *testing.T) {
	if _, err := exec.LookPath(spec.MotoBinary); err != nil {
		spec.Require(t, "%s not on PATH: %v", spec.MotoBinary, err)
	}
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kwok-instance-types")
	if out, err := exec.Command(goBin, "build", "-o", bin, "./cmd/kwok-instance-types").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(args ...string) (stdout, stderr string, err error) {
		cmd := exec.Command(bin, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err = cmd.Run()
		return o.String(), e.String(), err
	}

	file := filepath.Join(dir, "dev.json")
	stdout, stderr, err := run("-stack", "dev", "-out", file)
	if err != nil {
		t.Fatalf("kwok-instance-types -stack dev: %v\n%s", err, stderr)
	}
	if strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "dev: 2 instance types") {
		t.Errorf("stdout %q; want one summary line", stdout)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []kwok.InstanceTypeOptions
	if err := json.Unmarshal(got, &decoded); err != nil {
		t.Fatalf("the file is not kwok's InstanceTypeOptions: %v", err)
	}
	opts, err := KWOKInstanceTypes(setup(t, "dev").cluster)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(opts, "", "  ")
	if !bytes.Equal(got, append(want, '\n')) {
		t.Errorf("the command wrote\n%s\nwant KWOKInstanceTypes's\n%s", got, want)
	}

	stdout, stderr, err = run("-stack", "staging", "-out", filepath.Join(dir, "staging.json"))
	if err == nil || stdout != "" || !strings.Contains(stderr, `"staging" is not one of`) {
		t.Errorf("unknown stack: err %v, stdout %q, stderr %q; want a failure with a message on stderr only", err, stdout, stderr)
	}
}
