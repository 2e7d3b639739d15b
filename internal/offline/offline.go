// Package offline runs the real Pulumi program on Pulumi's mocked resource monitor and records
// everything it registers: type, name, URN, parent, inputs, options, invokes and stack outputs.
// The offline plan (cmd/plan), the whole-stack tests and the nested test modules all use it, so
// what the plan prints is exactly what the tests assert on. A Recording also classifies what it
// holds: its Kubernetes objects, Helm charts and IAM policy documents (see classify.go). The ids
// and outputs the mocks return and the invokes they answer come from a Derivation (derive.go),
// which the stand-in aws provider of the real-engine tier answers through as well.
package offline

import (
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eventscale/eventscale/stacks"
)

// AccountID is the AWS account the mocks pretend to be.
const AccountID = "123456789012"

// Project is the Pulumi project name (Pulumi.yaml `name`).
const Project = stacks.Namespace

// Resource is one registration the program made.
type Resource struct {
	Type     string         `json:"type"`
	Name     string         `json:"name"`
	URN      string         `json:"urn"`
	Parent   string         `json:"parent,omitempty"`
	Custom   bool           `json:"custom"`
	Remote   bool           `json:"remote,omitempty"`
	ID       string         `json:"id,omitempty"`
	Provider string         `json:"provider,omitempty"`
	Depends  []string       `json:"dependsOn,omitempty"`
	Protect  bool           `json:"protect,omitempty"`
	StandIn  bool           `json:"standIn,omitempty"`
	Inputs   map[string]any `json:"inputs"`
	// Secrets lists the top-level input keys that were marked secret.
	Secrets []string `json:"secrets,omitempty"`
	// RetainOnDelete: `pulumi destroy` (or removing the resource from the program) drops it
	// from the state without deleting it.
	RetainOnDelete bool `json:"retainOnDelete,omitempty"`
	// IgnoreChanges are the input paths the engine keeps from the old inputs on an update.
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
	// Aliases are the URNs the resource's aliases name: a resource of the state under one of
	// them is this resource (renamed or moved), and is updated rather than replaced.
	Aliases []string `json:"aliases,omitempty"`
	// DeleteBeforeReplace is the deleteBeforeReplace option when the program set it (nil when
	// it left the choice to the provider); false keeps create-before-delete on a replacement.
	DeleteBeforeReplace *bool `json:"deleteBeforeReplace,omitempty"`
}

// Invoke is one provider function call the program made.
type Invoke struct {
	Token string         `json:"token"`
	Args  map[string]any `json:"args"`
}

// Recording is the result of one program run.
type Recording struct {
	Project, Stack string
	Resources      []Resource
	Invokes        []Invoke
	// Outputs are the stack exports, resolved; SecretOutputs names the secret ones.
	Outputs       map[string]any
	SecretOutputs map[string]bool
}

// Options adjust a run.
type Options struct {
	// Zones overrides the availability zones the mocked getAvailabilityZones returns
	// (DefaultZones of the stack's region when nil).
	Zones []Zone
	// DefaultInstanceRole registers the stand-in of the access entry pulumi-eks creates for its
	// default instance role, for a program whose eks.Cluster gives no instanceRoles (this
	// program gives an empty list, so pulumi-eks creates neither role nor entry).
	DefaultInstanceRole bool
}

// RunStackFile runs the program for stack `stack` with the config of `<dir>/Pulumi.<stack>.yaml`.
func RunStackFile(dir, stack string) (*Recording, error) {
	raw, err := stacks.ReadStackFile(filepath.Join(dir, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	return Run(stack, raw, Options{})
}

// Run runs stacks.Program(raw) for the named stack on the mocked resource monitor.
// It returns the recording even when the program fails, with the error.
func Run(stack string, raw map[string]string, opts Options) (*Recording, error) {
	return run(stack, raw, opts, stacks.Program(raw))
}

// run runs program for the named stack with the config raw on the mocked resource monitor.
func run(stack string, raw map[string]string, opts Options, program pulumi.RunFunc) (*Recording, error) {
	m := &mocks{stack: stack, region: raw[stacks.RegionKey], zones: opts.Zones, instanceRoleEntry: opts.DefaultInstanceRole}
	rec := &Recording{Project: Project, Stack: stack, Outputs: map[string]any{}, SecretOutputs: map[string]bool{}}
	var outMu sync.Mutex
	// The stand-in EKS cluster carries the configured cluster name, as the real one would.
	clusterName := Project + "-" + stack
	if cfg, err := stacks.Load(raw, Project, stack); err == nil {
		clusterName = cfg.Cluster.Name
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if err := registerStandIns(ctx, clusterName, opts.DefaultInstanceRole); err != nil {
			return err
		}
		if err := program(ctx); err != nil {
			return err
		}
		captureExports(ctx, func(k string, v any, secret bool) {
			outMu.Lock()
			defer outMu.Unlock()
			rec.Outputs[k] = v
			rec.SecretOutputs[k] = secret
		})
		return nil
	}, pulumi.WithMocks(Project, stack, m), func(info *pulumi.RunInfo) { info.Config = raw })
	outMu.Lock()
	defer outMu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	rec.Resources = m.resources
	rec.Invokes = m.invokes
	return rec, err
}

// captureExports calls capture with each stack export's resolved value once it resolves; the
// calls have all returned when pulumi.RunErr returns. An export built from plain values
// (pulumi.String, a pulumi.Map of strings) is an output tied to no context, and so is an apply
// on it: RunErr would not wait for either. Joining each export with an output of this context
// (Context.NewOutput) ties the apply to the context's work group, which RunErr drains before it
// returns. capture may be called concurrently.
func captureExports(ctx *pulumi.Context, capture func(key string, value any, secret bool)) {
	tied, resolve, _ := ctx.NewOutput()
	resolve(nil)
	for k, v := range ctx.GetCurrentExportMap() {
		out := pulumi.ToOutput(v)
		secret := pulumi.IsSecret(out)
		pulumi.All(tied, out).ApplyT(func(xs []any) any {
			capture(k, xs[1], secret)
			return nil
		})
	}
}

// Stand-ins: pulumi-eks returns its OIDC provider, its EKS cluster and its access entries as
// resource references, which the mock monitor resolves only for URNs registered in the same
// run. Run registers them first, and the eks:index:Cluster mock refers to them.
//
// The access entry is the one pulumi-eks 2.8.1 creates for its default instance role in API
// authentication mode when the cluster gets neither instanceRole nor instanceRoles, even with
// skipDefaultNodeGroup (nodejs/eks/cluster.ts: createAccessEntries with
// defaultNodeGroupInstanceRole, type EC2_LINUX; returned in `core.accessEntries`). This program
// passes an empty instanceRoles, so there is none, and `core` holds no entry; a program without
// instanceRoles gets it (Options.DefaultInstanceRole), and with it in `core` the mock fails a Go
// program that reads `core` as the real provider does (pulumi/pulumi-eks#1435).
const (
	standInOIDC        = "standin-eks-oidc-provider"
	standInCluster     = "standin-eks-cluster"
	standInAccessEntry = "standin-eks-instance-role-access-entry"
)

func registerStandIns(ctx *pulumi.Context, clusterName string, instanceRoleEntry bool) error {
	var oidc, cl standIn
	if err := ctx.RegisterResource("aws:iam/openIdConnectProvider:OpenIdConnectProvider", standInOIDC, pulumi.Map{}, &oidc); err != nil {
		return fmt.Errorf("registering stand-in OIDC provider: %w", err)
	}
	if err := ctx.RegisterResource("aws:eks/cluster:Cluster", standInCluster, pulumi.Map{"name": pulumi.String(clusterName)}, &cl); err != nil {
		return fmt.Errorf("registering stand-in EKS cluster: %w", err)
	}
	ids := []any{oidc.ID(), cl.ID()}
	if instanceRoleEntry {
		var entry standIn
		if err := ctx.RegisterResource("aws:eks/accessEntry:AccessEntry", standInAccessEntry, pulumi.Map{
			"clusterName":  pulumi.String(clusterName),
			"principalArn": pulumi.String(instanceRoleArn(clusterName)),
			"type":         pulumi.String("EC2_LINUX"),
		}, &entry); err != nil {
			return fmt.Errorf("registering stand-in EKS access entry: %w", err)
		}
		ids = append(ids, entry.ID())
	}
	// Registrations are asynchronous: the eks:index:Cluster mock's references to these are
	// resolved (pulumi:pulumi:getResource) as soon as that cluster's registration returns, which
	// can be before the mock monitor has stored the stand-ins, and the lookup then fails with
	// "unknown resource". Their ids resolve only once the monitor has stored them, so wait for those.
	// This wait blocks inside the program (the program must not start before it ends), so it cannot
	// be left to RunErr; the timeout is for a registration that fails, whose ids are rejected and
	// whose apply therefore never runs.
	stored := make(chan struct{})
	pulumi.All(ids...).ApplyT(func([]any) error { close(stored); return nil })
	select {
	case <-stored:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("offline: the stand-in registrations did not complete within 30s")
	}
}

type standIn struct{ pulumi.CustomResourceState }

// instanceRoleArn is a placeholder ARN for the instance role pulumi-eks creates for a cluster
// (its real name ends in a random suffix).
func instanceRoleArn(clusterName string) string {
	return "arn:aws:iam::" + AccountID + ":role/" + clusterName + "-instanceRole"
}

type mocks struct {
	mu        sync.Mutex
	stack     string
	region    string
	zones     []Zone
	resources []Resource
	invokes   []Invoke
	// instanceRoleEntry: the stand-in of pulumi-eks's default instance role's access entry is
	// registered (Options.DefaultInstanceRole).
	instanceRoleEntry bool
}

func (m *mocks) urn(typ, name string) string {
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(Project), "", tokens.Type(typ), name))
}

// NewResource records the registration and returns canned outputs: the inputs plus the
// computed fields the program reads (ids, ARNs, names, URLs).
func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken == "eks:index:Cluster" && createsInstanceRole(args.Inputs) && !m.instanceRoleEntry {
		return "", nil, fmt.Errorf("offline: eks:index:Cluster %s gives no instanceRoles, so pulumi-eks would create an instance role and "+
			"its EC2_LINUX access entry; pass instanceRoles, or run with Options.DefaultInstanceRole to stand in for that entry", args.Name)
	}
	r := Resource{
		Type:     args.TypeToken,
		Name:     args.Name,
		Custom:   args.Custom,
		Provider: args.Provider,
		Inputs:   map[string]any{},
		StandIn:  args.Name == standInOIDC || args.Name == standInCluster || args.Name == standInAccessEntry,
	}
	for k, v := range args.Inputs {
		if v.ContainsSecrets() {
			r.Secrets = append(r.Secrets, string(k))
		}
		r.Inputs[string(k)] = Plain(v)
	}
	sort.Strings(r.Secrets)
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Depends = rpc.GetDependencies()
		r.Protect = rpc.GetProtect()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.Remote = rpc.GetRemote()
		if rpc.GetDeleteBeforeReplaceDefined() {
			dbr := rpc.GetDeleteBeforeReplace()
			r.DeleteBeforeReplace = &dbr
		}
		parentType := tokens.Type("")
		if p := resource.URN(rpc.GetParent()); p != "" && p.QualifiedType() != resource.RootStackType {
			parentType = p.QualifiedType()
		}
		r.URN = string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(Project), parentType, tokens.Type(args.TypeToken), args.Name))
		r.Aliases = m.aliasURNs(rpc, parentType, args.TypeToken, args.Name)
	}
	id, outs := m.outputs(args)
	r.ID = id
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, outs, nil
}

// aliasURNs resolves a registration's aliases to URNs the way the engine does: a spec's name,
// type, stack and project default to the resource's own, its parent to the resource's parent
// unless it names another (or none).
func (m *mocks) aliasURNs(rpc *pulumirpc.RegisterResourceRequest, parentType tokens.Type, typ, name string) []string {
	urns := append([]string(nil), rpc.GetAliasURNs()...)
	for _, a := range rpc.GetAliases() {
		if u := a.GetUrn(); u != "" {
			urns = append(urns, u)
			continue
		}
		spec := a.GetSpec()
		or := func(v, def string) string {
			if v == "" {
				return def
			}
			return v
		}
		pt := parentType
		switch {
		case spec.GetNoParent():
			pt = ""
		case spec.GetParentUrn() != "":
			if p := resource.URN(spec.GetParentUrn()); p.QualifiedType() != resource.RootStackType {
				pt = p.QualifiedType()
			} else {
				pt = ""
			}
		}
		urns = append(urns, string(resource.NewURN(tokens.QName(or(spec.GetStack(), m.stack)), tokens.PackageName(or(spec.GetProject(), Project)),
			pt, tokens.Type(or(spec.GetType(), typ)), or(spec.GetName(), name))))
	}
	return urns
}

// derivation is the Derivation the mocks answer through: the run's region and zones, the
// mocked account and the example EKS values.
func (m *mocks) derivation() Derivation {
	return Derivation{Region: m.region, AccountID: AccountID, Zones: m.zones}
}

// outputs returns the id and output properties of a mocked resource: the Derivation's, except
// for the pulumi-eks component (eks:index:Cluster), whose outputs only the mocks make up.
func (m *mocks) outputs(args pulumi.MockResourceArgs) (string, resource.PropertyMap) {
	d := m.derivation()
	if args.TypeToken == "eks:index:Cluster" {
		return "", m.eksComponentOutputs(d, args.Name, args.Inputs)
	}
	return d.Resource(args.TypeToken, args.Name, args.Custom, args.Inputs)
}

// createsInstanceRole reports whether pulumi-eks 2.8.1 creates its default instance role (and
// its access entry) for a cluster with these inputs: when neither instanceRole nor instanceRoles
// is given (nodejs/eks/cluster.ts, createCore; an empty instanceRoles list counts as given).
func createsInstanceRole(inputs resource.PropertyMap) bool {
	for _, k := range []resource.PropertyKey{"instanceRole", "instanceRoles"} {
		if v, ok := inputs[k]; ok && !v.IsNull() {
			return false
		}
	}
	return true
}

// eksComponentOutputs are the remote component's outputs: its inputs, references to the
// stand-ins (core.accessEntries holds the default instance role's entry when pulumi-eks 2.8.1
// creates one, see createsInstanceRole), and a kubeconfig for the example endpoint.
func (m *mocks) eksComponentOutputs(d Derivation, name string, inputs resource.PropertyMap) resource.PropertyMap {
	out := inputs.Copy()
	if v, ok := inputs["name"]; ok && v.IsString() {
		name = v.StringValue()
	} else {
		name = AutoName(name)
	}
	oidcRef := resource.MakeCustomResourceReference(resource.URN(m.urn("aws:iam/openIdConnectProvider:OpenIdConnectProvider", standInOIDC)),
		resource.ID("arn:aws:iam::"+d.AccountID+":oidc-provider/"+d.oidcHost()), "")
	clRef := resource.MakeCustomResourceReference(resource.URN(m.urn("aws:eks/cluster:Cluster", standInCluster)), resource.ID(name), "")
	kubeconfig := fmt.Sprintf(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":%q,"cluster":{"server":%q,"certificate-authority-data":%q}}],"contexts":[{"name":"aws","context":{"cluster":%q,"user":"aws"}}],"current-context":"aws","users":[{"name":"aws","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws","args":["eks","get-token","--cluster-name",%q,"--output","json"]}}}]}`, name, d.endpoint(), d.caData(), name, name)
	out["eksCluster"] = clRef
	entries := []resource.PropertyValue{}
	if createsInstanceRole(inputs) {
		entries = append(entries, resource.MakeCustomResourceReference(resource.URN(m.urn("aws:eks/accessEntry:AccessEntry", standInAccessEntry)),
			resource.ID(standInAccessEntry+"-id"), ""))
	}
	out["core"] = resource.NewObjectProperty(resource.PropertyMap{
		"oidcProvider":  oidcRef,
		"cluster":       clRef,
		"endpoint":      resource.NewProperty(d.endpoint()),
		"accessEntries": resource.NewArrayProperty(entries),
	})
	out["kubeconfigJson"] = resource.NewProperty(kubeconfig)
	out["kubeconfig"] = resource.NewProperty(kubeconfig)
	return out
}

// Call records the invoke and answers it through the Derivation, which fails on any function
// it does not know.
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Args: Plain(resource.NewObjectProperty(args.Args)).(map[string]any)})
	m.mu.Unlock()
	return m.derivation().Invoke(args.Token, args.Args)
}

// Plain turns a property value into plain Go values (maps, slices, strings, numbers, bools).
// Secrets are unwrapped, unknowns become "<computed>", resource references their URN.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		f := v.NumberValue()
		if f == float64(int64(f)) {
			return int64(f)
		}
		return f
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, x := range arr {
			out[i] = Plain(x)
		}
		return out
	case v.IsObject():
		obj := v.ObjectValue()
		out := make(map[string]any, len(obj))
		for k, x := range obj {
			out[string(k)] = Plain(x)
		}
		return out
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsComputed():
		return "<computed>"
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return "<computed>"
		}
		return Plain(o.Element)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return fmt.Sprintf("%v", v)
}
