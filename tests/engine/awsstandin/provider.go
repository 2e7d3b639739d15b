package awsstandin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/eventscale/eventscale/internal/offline"
)

// The environment variables the provider and the aws command read (see the package doc).
const (
	EnvLog         = "EVENTSCALE_AWS_STANDIN_LOG"
	EnvEKSEndpoint = "EVENTSCALE_AWS_STANDIN_EKS_ENDPOINT"
	EnvEKSCAData   = "EVENTSCALE_AWS_STANDIN_EKS_CA_DATA"
	EnvEKSIssuer   = "EVENTSCALE_AWS_STANDIN_EKS_ISSUER"
	EnvToken       = "EVENTSCALE_AWS_STANDIN_TOKEN"
)

// Provider is the stand-in aws resource provider. Make one with New.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	eks *offline.EKSEndpoint
	log *opLog

	mu     sync.Mutex
	region string
}

// New returns a provider configured from the environment getenv reads (os.Getenv in the
// plugin): the op log and the EKS endpoint. It fails when only some of the EKS variables are set.
func New(getenv func(string) string) (*Provider, error) {
	p := &Provider{log: &opLog{path: getenv(EnvLog)}}
	endpoint, ca, issuer := getenv(EnvEKSEndpoint), getenv(EnvEKSCAData), getenv(EnvEKSIssuer)
	switch {
	case endpoint != "" && ca != "" && issuer != "":
		p.eks = &offline.EKSEndpoint{Endpoint: endpoint, CertificateAuthorityData: ca, Issuer: issuer}
	case endpoint != "" || ca != "" || issuer != "":
		return nil, fmt.Errorf("aws stand-in: set all of %s, %s and %s, or none", EnvEKSEndpoint, EnvEKSCAData, EnvEKSIssuer)
	}
	return p, nil
}

func (p *Provider) derivation() offline.Derivation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return offline.Derivation{Region: p.region, AccountID: offline.AccountID, EKS: p.eks}
}

// The options properties cross the wire with: secrets and unknowns kept (Configure accepts
// secrets; unknowns reach Diff and Check during a preview), resource references not (Configure
// does not accept them, so the engine sends their ids).
var wire = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, wire)
	if err != nil {
		return nil, fmt.Errorf("aws stand-in: %w", err)
	}
	return m, nil
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	s, err := plugin.MarshalProperties(m, wire)
	if err != nil {
		return nil, fmt.Errorf("aws stand-in: %w", err)
	}
	return s, nil
}

// urnParts is the type and name of a resource URN.
func urnParts(urn string) (typ, name string) {
	u := resource.URN(urn)
	if !u.IsValid() {
		return "", ""
	}
	return string(u.Type()), u.Name()
}

func (p *Provider) record(op, urn, typ, id string) error {
	if typ == "" {
		typ, _ = urnParts(urn)
	}
	return p.log.write(Op{Op: op, URN: urn, Type: typ, ID: id})
}

// GetPluginInfo reports the pulumi-aws version the program's SDK pins (PulumiAWSVersion).
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	if err := p.record("getPluginInfo", "", "", ""); err != nil {
		return nil, err
	}
	return &pulumirpc.PluginInfo{Version: PulumiAWSVersion}, nil
}

// GetSchema returns a schema naming the package and its version, and nothing else: the engine
// does not read a provider's schema during preview, up, refresh or destroy (in pulumi/pkg
// v3.274.1 GetSchema is called by package tooling and `pulumi new`'s credential check, not by
// resource/deploy), and the program's SDK is generated already.
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	if err := p.record("getSchema", "", "", ""); err != nil {
		return nil, err
	}
	schema, err := json.Marshal(map[string]string{"name": "aws", "version": PulumiAWSVersion})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(schema)}, nil
}

// CheckConfig accepts any provider configuration as it is.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := p.record("checkConfig", req.GetUrn(), "", ""); err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig reports the changed configuration keys as updates: the stand-in replaces no
// provider (its resources would follow), whatever changes.
func (p *Provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if err := p.record("diffConfig", req.GetUrn(), "", req.GetId()); err != nil {
		return nil, err
	}
	olds, news, err := diffInputs(req)
	if err != nil {
		return nil, err
	}
	return diff(olds, news, nil), nil
}

// Configure takes the region from the provider's configuration (aws:region): the region the
// ARNs, URLs and getRegion name. The account is offline.AccountID.
func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	if err := p.record("configure", req.GetUrn(), "", req.GetId()); err != nil {
		return nil, err
	}
	region := req.GetVariables()["aws:config:region"]
	if args := req.GetArgs(); args != nil {
		m, err := unmarshal(args)
		if err != nil {
			return nil, err
		}
		if v, ok := m["region"]; ok {
			if v.IsSecret() {
				v = v.SecretValue().Element
			}
			if v.IsString() {
				region = v.StringValue()
			}
		}
	}
	if region == "" {
		return nil, errors.New("aws stand-in: no region configured (set aws:region), as pulumi-aws requires one")
	}
	p.mu.Lock()
	p.region = region
	p.mu.Unlock()
	// SupportsPreview false: the engine does not call Create or Update during a preview.
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: false, AcceptResources: false}, nil
}

// Check returns the new inputs as pulumi-aws's Check would for what the stand-in models: as they
// are, secrets and unknowns included, plus the auto-name of a resource that names itself and was
// given no name (offline.Derivation.Check, and autoName for the properties pulumi-aws auto-names
// that the offline plan does not derive), so that a preview knows it as it would with pulumi-aws,
// and, as the bridge does, the list of the properties it filled in under __defaults (see
// deleteBeforeReplace, which reads it). The stand-in validates nothing.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := p.record("check", req.GetUrn(), req.GetType(), ""); err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	typ, name := urnParts(req.GetUrn())
	checked, err := marshal(withDefaults(news, autoName(typ, name, p.derivation().Check(typ, name, news))))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: checked}, nil
}

// diffInputs are the request's old inputs and new inputs.
func diffInputs(req *pulumirpc.DiffRequest) (olds, news resource.PropertyMap, err error) {
	if olds, err = unmarshal(oldInputs(req)); err != nil {
		return nil, nil, err
	}
	if news, err = unmarshal(req.GetNews()); err != nil {
		return nil, nil, err
	}
	return olds, news, nil
}

// oldInputs are the inputs the resource was last created or updated with, or its old outputs
// when the engine sends no old inputs.
func oldInputs(req *pulumirpc.DiffRequest) *structpb.Struct {
	if req.GetOldInputs() != nil {
		return req.GetOldInputs()
	}
	return req.GetOlds()
}

// Diff compares the old and new inputs and reports each changed top-level key as a detailed
// diff; a change of a field pulumi-aws forces a new resource for (see replacements) is a
// replacement, which deletes the old resource first where pulumi-aws's bridge would (see
// deleteBeforeReplace). A type the stand-in has no rules for is an error.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	typ, _ := urnParts(req.GetUrn())
	if err := p.record("diff", req.GetUrn(), typ, req.GetId()); err != nil {
		return nil, err
	}
	olds, news, err := diffInputs(req)
	if err != nil {
		return nil, err
	}
	paths, err := replacementsFor(typ, olds, news)
	if err != nil {
		return nil, err
	}
	resp := diff(olds, news, paths)
	resp.DeleteBeforeReplace = len(resp.Replaces) > 0 && deleteBeforeReplace(typ, news)
	return resp, nil
}

// derive is the id and the outputs, on the wire, the stand-in gives the resource of urn with
// inputs (offline.Derivation.Resource of the inputs without the bridge's reserved keys, which
// are no outputs).
func (p *Provider) derive(urn string, inputs *structpb.Struct) (string, *structpb.Struct, error) {
	typ, name := urnParts(urn)
	in, err := unmarshal(inputs)
	if err != nil {
		return "", nil, err
	}
	id, outs := p.derivation().Resource(typ, name, true, withoutReserved(in))
	props, err := marshal(outs)
	if err != nil {
		return "", nil, err
	}
	return id, props, nil
}

// Create derives the id and outputs of the new resource.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if req.GetPreview() {
		// Not called while SupportsPreview is false (the engine answers itself:
		// github.com/pulumi/pulumi/sdk/v3@v3.274.1 go/common/resource/plugin/provider_plugin.go,
		// provider.Create); answered like the engine would.
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	id, props, err := p.derive(req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := p.record("create", req.GetUrn(), "", id); err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Read returns the state it is given as it is (the stand-in's resources do not drift); a
// resource read by id alone (a `get`) gets the outputs derived from its URN's name and the
// inputs given, with the id asked for.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if err := p.record("read", req.GetUrn(), "", req.GetId()); err != nil {
		return nil, err
	}
	if len(req.GetProperties().GetFields()) > 0 {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	_, props, err := p.derive(req.GetUrn(), req.GetInputs())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: req.GetInputs()}, nil
}

// Update derives the outputs from the new inputs; the id stays.
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if req.GetPreview() {
		// Not called while SupportsPreview is false, as Create; answered like the engine would.
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	if err := p.record("update", req.GetUrn(), "", req.GetId()); err != nil {
		return nil, err
	}
	_, props, err := p.derive(req.GetUrn(), req.GetNews())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Delete records the deletion; there is nothing to remove.
func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if err := p.record("delete", req.GetUrn(), "", req.GetId()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Invoke answers the provider functions offline.Derivation.Invoke knows, and fails naming any
// other.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if err := p.record("invoke", "", req.GetTok(), ""); err != nil {
		return nil, err
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	ret, err := p.derivation().Invoke(req.GetTok(), args)
	if err != nil {
		return nil, fmt.Errorf("aws stand-in: %w", err)
	}
	s, err := marshal(ret)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: s}, nil
}

// Cancel records the request; no operation of the stand-in's is long enough to stop.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	if err := p.record("cancel", "", "", ""); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
