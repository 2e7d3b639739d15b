package offline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/infra"
)

// Derivation computes what an AWS resource or function of the program's would return without
// AWS: the id and the output properties (the inputs plus the ARNs, names and URLs AWS would
// assign), and the results of the provider functions (invokes) the program calls. It is the one
// place these values are made up: the mocked resource monitor (Run) and the stand-in aws resource
// provider of the real-engine test tier (tests/engine/awsstandin) both answer through it, so the
// offline plan and the engine tier see the same ids and ARNs for the same inputs.
//
// What it derives is a stand-in for AWS, with placeholder account, ids and ARNs: it checks no
// input the way AWS would, knows no eventual consistency, quotas or IAM evaluation, and its ARNs
// only follow AWS's formats.
//
// The zero value is not useful: set Region and AccountID. A Derivation is a plain value and safe
// for concurrent use.
type Derivation struct {
	// Region and AccountID are the AWS region and account the values are made up for.
	Region, AccountID string
	// Zones are the availability zones getAvailabilityZones returns, in order; nil means
	// DefaultZones(Region).
	Zones []Zone
	// EKS, when set, is the API server the aws:eks/cluster:Cluster outputs point at (endpoint,
	// certificateAuthority.data, identities[0].oidcs[0].issuer) instead of the example ones,
	// and the issuer the OIDC provider's ARN is built from.
	EKS *EKSEndpoint
}

// Zone is an availability zone as getAvailabilityZones returns it: its name, which maps to a
// different zone in each account, and its zone ID, the same in every account.
type Zone struct{ Name, ID string }

// DefaultZones are the zones a Derivation without Zones returns for region: its zones a to d.
// Their zone IDs take the form AWS describes: "the first three letters of the Region code,
// followed by the number at the end of the Region code, followed by -az, followed by a number"
// (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html,
// read 2026-12-07; true of us-east-1's use1 and us-west-2's usw2, not of every region's). Names
// map to zone IDs differently per account; here a, b, c and d are az1, az2, az4 and az3, an
// account in which us-east-1's first three zones are ones EKS supports (use1-az3, which it does
// not, is us-east-1d). A test puts use1-az3 first by setting Zones.
func DefaultZones(region string) []Zone {
	var letters, number string
	for _, r := range region {
		switch {
		case unicode.IsLetter(r) && len(letters) < 3:
			letters += string(r)
		case unicode.IsDigit(r):
			number += string(r)
		}
	}
	var zones []Zone
	for i, n := range []string{"1", "2", "4", "3"} {
		zones = append(zones, Zone{Name: region + string(rune('a'+i)), ID: letters + number + "-az" + n})
	}
	return zones
}

// EKSEndpoint is a Kubernetes API server an aws:eks/cluster:Cluster's outputs describe.
type EKSEndpoint struct {
	// Endpoint is the API server's URL, https://host[:port].
	Endpoint string
	// CertificateAuthorityData is the base64 of the PEM CA certificate the endpoint's serving
	// certificate verifies against (the cluster's certificateAuthority.data).
	CertificateAuthorityData string
	// Issuer is the service-account token issuer URL, https://... (the cluster's
	// identities[0].oidcs[0].issuer).
	Issuer string
}

// The example EKS values: the shapes AWS uses, with EXAMPLE in place of the cluster's ids.
const (
	exampleCAData    = "LS0tLS1CRUdJTi1NT0NL"
	exampleOIDCPath  = "/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	exampleEKSHostID = "EXAMPLE0123456789"
)

func (d Derivation) endpoint() string {
	if d.EKS != nil {
		return d.EKS.Endpoint
	}
	return "https://" + exampleEKSHostID + ".gr7." + d.Region + ".eks.amazonaws.com"
}

func (d Derivation) caData() string {
	if d.EKS != nil {
		return d.EKS.CertificateAuthorityData
	}
	return exampleCAData
}

func (d Derivation) issuer() string {
	if d.EKS != nil {
		return d.EKS.Issuer
	}
	return "https://oidc.eks." + d.Region + ".amazonaws.com" + exampleOIDCPath
}

// oidcHost is the issuer without its scheme, the form IAM names OIDC providers by.
func (d Derivation) oidcHost() string {
	return strings.TrimPrefix(d.issuer(), "https://")
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:12]
}

// AutoName is the physical name the derivation gives a resource registered as `name` without a
// name input: the name and a suffix that is stable for the name (Pulumi's auto-naming appends a
// random one).
func AutoName(name string) string {
	return name + "-" + shortHash(name)[:7]
}

// autoNamed are the types whose pulumi-aws resource names itself when the program gives neither
// name nor namePrefix: the ones Resource derives a name for.
var autoNamed = map[string]bool{
	"aws:iam/role:Role":                       true,
	"aws:iam/policy:Policy":                   true,
	"aws:iam/instanceProfile:InstanceProfile": true,
	"aws:sqs/queue:Queue":                     true,
	"aws:cloudwatch/eventRule:EventRule":      true,
	"aws:ecr/repository:Repository":           true,
	"aws:eks/cluster:Cluster":                 true,
	"aws:sns/topic:Topic":                     true,
	"aws:cloudwatch/metricAlarm:MetricAlarm":  true,
}

// Check returns a resource's inputs as pulumi-aws's Check returns them: for an autonamed type
// without name or namePrefix, with name set to AutoName(name) (with ".fifo" for a FIFO queue).
// The bridge computes auto-names while it checks the inputs (pulumi-terraform-bridge's
// tfbridge.ComputeAutoNameDefault, seeded by the Check request), so a preview already knows a
// new resource's name, and a program may build an ARN from it before the resource exists. The
// mocked monitor calls no Check; Resource derives the same name there.
func (d Derivation) Check(token, name string, inputs resource.PropertyMap) resource.PropertyMap {
	out := inputs.Copy()
	if !autoNamed[token] {
		return out
	}
	for _, k := range []resource.PropertyKey{"name", "namePrefix"} {
		if v, ok := inputs[k]; ok && !v.IsNull() {
			return out
		}
	}
	n := AutoName(name)
	if v, ok := inputs["fifoQueue"]; token == "aws:sqs/queue:Queue" && ok && v.IsBool() && v.BoolValue() {
		n += ".fifo"
	}
	out["name"] = resource.NewProperty(n)
	return out
}

// arnTypes are the resource types without a case of their own in Resource whose pulumi-aws
// schema has an `arn` output (the Go SDK's struct has an Arn field; derive_test.go checks this
// list against pulumi-aws/sdk/v6). Resource gives them an ARN of the generic form
// arn:aws:<service>:<region>:<account>:<kebab-type>/<name>.
var arnTypes = map[string]bool{
	"aws:ec2/securityGroup:SecurityGroup":    true,
	"aws:ec2/launchTemplate:LaunchTemplate":  true,
	"aws:eks/nodeGroup:NodeGroup":            true,
	"aws:cloudwatch/eventTarget:EventTarget": true, // its arn is an input (the target's); kept
}

// ec2IDPrefixes are the prefixes of the ids EC2 gives the network resources Resource derives.
var ec2IDPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                         "vpc-",
	"aws:ec2/subnet:Subnet":                   "subnet-",
	"aws:ec2/internetGateway:InternetGateway": "igw-",
	"aws:ec2/natGateway:NatGateway":           "nat-",
	"aws:ec2/eip:Eip":                         "eipalloc-",
	"aws:ec2/routeTable:RouteTable":           "rtb-",
	"aws:ec2/flowLog:FlowLog":                 "fl-",
}

// iamARNKinds are the resource-type segments of the IAM ARNs Resource derives.
var iamARNKinds = map[string]string{
	"aws:iam/role:Role":                       "role",
	"aws:iam/policy:Policy":                   "policy",
	"aws:iam/instanceProfile:InstanceProfile": "instance-profile",
}

// namedARNKinds are the service and resource-type segments of the ARNs of the types Resource
// addresses by their name: arn:aws:<service>:<region>:<account>:<kind>:<name>.
var namedARNKinds = map[string]struct{ service, kind string }{
	"aws:cloudwatch/metricAlarm:MetricAlarm": {"cloudwatch", "alarm"},
	"aws:cloudwatch/logGroup:LogGroup":       {"logs", "log-group"},
}

// serviceLinkedRoleNames are the names IAM gives the service-linked role of a service (the
// awsServiceName input); another service's role gets a made-up name.
var serviceLinkedRoleNames = map[string]string{infra.SpotServiceName: infra.SpotServiceLinkedRoleName}

// globalServices are the AWS services whose ARNs carry no region.
var globalServices = map[string]bool{"iam": true}

// Resource returns the id and output properties AWS would give the resource of type token
// registered as name with inputs: the inputs, plus the computed fields (ids, ARNs, names, URLs)
// the program and pulumi-eks read. A name the inputs do not set is AutoName(name). Types without
// a case of their own get a generic derivation: the id is "<name>-id", every input is echoed and,
// for the types whose schema has one, an arn is added (see arnTypes). A component (custom false)
// has no id. inputs is not modified.
func (d Derivation) Resource(token, name string, custom bool, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	out := inputs.Copy()
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	setDefault := func(k string, v any) {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			set(k, v)
		}
	}
	nameOr := func(key string) string {
		if v, ok := inputs[resource.PropertyKey(key)]; ok && v.IsString() {
			return v.StringValue()
		}
		return AutoName(name)
	}
	id := name + "-id"
	if prefix, ok := ec2IDPrefixes[token]; ok {
		id = prefix + shortHash(name)
	}
	region, acct := d.Region, d.AccountID
	switch token {
	case "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/instanceProfile:InstanceProfile":
		n := nameOr("name")
		setDefault("name", n)
		arn := "arn:aws:iam::" + acct + ":" + iamARNKinds[token] + "/" + n
		set("arn", arn)
		id = n
		if token == "aws:iam/policy:Policy" {
			id = arn // the provider addresses a managed policy by its ARN
		}
	case "aws:iam/serviceLinkedRole:ServiceLinkedRole":
		// IAM names the role after the service and puts it under /aws-service-role/<service>/;
		// pulumi-aws's id is the role's ARN (infra.SpotServiceLinkedRoleArn).
		svc := ""
		if v, ok := inputs["awsServiceName"]; ok && v.IsString() {
			svc = v.StringValue()
		}
		n, ok := serviceLinkedRoleNames[svc]
		if !ok {
			n = "AWSServiceRoleFor" + shortHash(svc)
		}
		path := "/aws-service-role/" + svc + "/"
		set("name", n)
		set("path", path)
		id = "arn:aws:iam::" + acct + ":role" + path + n
		set("arn", id)
	case "aws:sqs/queue:Queue":
		n := nameOr("name")
		if v, ok := inputs["fifoQueue"]; ok && v.IsBool() && v.BoolValue() && !strings.HasSuffix(n, ".fifo") {
			n += ".fifo"
		}
		setDefault("name", n)
		set("arn", "arn:aws:sqs:"+region+":"+acct+":"+n)
		set("url", "https://sqs."+region+".amazonaws.com/"+acct+"/"+n)
		id = "https://sqs." + region + ".amazonaws.com/" + acct + "/" + n
	case "aws:cloudwatch/eventRule:EventRule":
		n := nameOr("name")
		setDefault("name", n)
		set("arn", "arn:aws:events:"+region+":"+acct+":rule/"+n)
		id = n
	case "aws:eks/fargateProfile:FargateProfile", "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry":
		set("arn", fmt.Sprintf("arn:aws:eks:%s:%s:%s/%s", region, acct, strings.ToLower(strings.Split(token, ":")[2]), name))
	case "aws:sns/topic:Topic":
		n := nameOr("name")
		setDefault("name", n)
		arn := "arn:aws:sns:" + region + ":" + acct + ":" + n
		set("arn", arn)
		set("owner", acct)
		id = arn // the provider addresses a topic by its ARN
	case "aws:sns/topicPolicy:TopicPolicy":
		if v, ok := inputs["arn"]; ok && v.IsString() {
			id = v.StringValue() // the topic's ARN
		}
		set("owner", acct)
	case "aws:sns/topicSubscription:TopicSubscription":
		topic := ""
		if v, ok := inputs["topic"]; ok && v.IsString() {
			topic = v.StringValue()
		}
		// SNS appends a subscription id to the topic's ARN; a stable one stands in for it.
		arn := topic + ":" + uuidLike(name)
		set("arn", arn)
		id = arn
	case "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/logGroup:LogGroup":
		// Addressed by name; a log group's ARN is the one the provider reports, without the
		// ":*" DescribeLogGroups appends.
		n := nameOr("name")
		setDefault("name", n)
		k := namedARNKinds[token]
		set("arn", "arn:aws:"+k.service+":"+region+":"+acct+":"+k.kind+":"+n)
		id = n
	case "aws:cloudwatch/dashboard:Dashboard":
		n := nameOr("dashboardName")
		// Dashboards are global: their ARN carries no region.
		set("dashboardArn", "arn:aws:cloudwatch::"+acct+":dashboard/"+n)
		id = n
	case "aws:kms/key:Key":
		keyID := uuidLike(name)
		set("keyId", keyID)
		set("arn", "arn:aws:kms:"+region+":"+acct+":key/"+keyID)
		id = keyID
	case "aws:kms/alias:Alias":
		// The provider addresses an alias by its name ("alias/...").
		n := nameOr("name")
		set("arn", "arn:aws:kms:"+region+":"+acct+":"+n)
		id = n
	case "aws:ecr/repository:Repository":
		n := nameOr("name")
		setDefault("name", n)
		set("arn", "arn:aws:ecr:"+region+":"+acct+":repository/"+n)
		set("repositoryUrl", acct+".dkr.ecr."+region+".amazonaws.com/"+n)
		id = n
	case "aws:ecr/lifecyclePolicy:LifecyclePolicy":
		id = nameOr("repository") // the provider addresses the policy by its repository's name
		set("registryId", acct)
	case "aws:ec2/flowLog:FlowLog":
		set("arn", "arn:aws:ec2:"+region+":"+acct+":vpc-flow-log/"+id)
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		host := d.oidcHost()
		if v, ok := inputs["url"]; ok && v.IsString() && v.StringValue() != "" {
			host = strings.TrimPrefix(v.StringValue(), "https://")
		}
		set("arn", "arn:aws:iam::"+acct+":oidc-provider/"+host)
		// The AWS provider reports the URL without a scheme; the stand-in keeps "https://" so
		// tests prove the program strips it wherever IAM conditions are built from it.
		set("url", "https://"+host)
		set("clientIdLists", []any{"sts.amazonaws.com"})
		id = out["arn"].StringValue()
	case "aws:eks/cluster:Cluster":
		n := nameOr("name")
		set("arn", "arn:aws:eks:"+region+":"+acct+":cluster/"+n)
		set("endpoint", d.endpoint())
		set("certificateAuthority", map[string]any{"data": d.caData()})
		// The configured vpcConfig (subnets, endpoint access) stays; EKS adds the cluster
		// security group it creates and the subnets' VPC.
		vpc := resource.PropertyMap{}
		if v, ok := inputs["vpcConfig"]; ok && v.IsObject() {
			vpc = v.ObjectValue().Copy()
		}
		vpc["clusterSecurityGroupId"] = resource.NewProperty("sg-0eks0cluster0sg")
		vpc["vpcId"] = resource.NewProperty("vpc-standin")
		out["vpcConfig"] = resource.NewProperty(vpc)
		set("identities", []any{map[string]any{"oidcs": []any{map[string]any{"issuer": d.issuer()}}}})
		id = n
	default:
		if arnTypes[token] {
			setDefault("arn", d.genericARN(token, name))
		}
	}
	if !custom {
		id = ""
	}
	return id, out
}

// uuidLike is a stable id in the 8-4-4-4-12 hex form AWS gives KMS keys and SNS subscriptions,
// derived from name.
func uuidLike(name string) string {
	h := sha256.Sum256([]byte(name))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// genericARN is arn:aws:<service>:<region>:<account>:<kebab-type>/<name> for a type token
// aws:<service>/<type>:<Type>, without the region for a global service.
func (d Derivation) genericARN(token, name string) string {
	parts := strings.Split(token, ":")
	service, typ := "", ""
	if len(parts) == 3 {
		service, typ, _ = strings.Cut(parts[1], "/")
	}
	region := d.Region
	if globalServices[service] {
		region = ""
	}
	return "arn:aws:" + service + ":" + region + ":" + d.AccountID + ":" + kebab(typ) + "/" + name
}

// kebab turns a camelCase type name into kebab-case: securityGroup -> security-group.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Invoke answers the provider functions (invokes) the program calls: getPartition,
// getCallerIdentity, getRegion and getAvailabilityZones. Any other token is an error naming it,
// so a caller learns which function to add here.
func (d Derivation) Invoke(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	switch token {
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws",
		}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": d.AccountID, "arn": "arn:aws:iam::" + d.AccountID + ":user/offline-plan", "userId": "AIDAOFFLINEPLAN", "id": d.AccountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": d.Region, "id": d.Region, "region": d.Region}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		zones := d.Zones
		if zones == nil {
			zones = DefaultZones(d.Region)
		}
		names, ids := make([]any, len(zones)), make([]any, len(zones))
		for i, z := range zones {
			names[i], ids[i] = z.Name, z.ID
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "zoneIds": ids, "id": d.Region}), nil
	}
	return nil, fmt.Errorf("offline: unexpected invoke %q: the program may only call functions the derivation answers (add it to internal/offline if it is intended)", token)
}
