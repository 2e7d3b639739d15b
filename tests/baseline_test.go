package tests

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/eventscale/eventscale/components/queue"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
)

// Sources of the security baseline's controls, read 2026-12-08:
//   - CIS: the CIS Amazon EKS Benchmark v1.7.0 as kube-bench carries it
//     (github.com/aquasecurity/kube-bench, cfg/eks-1.7.0/controlplane.yaml, policies.yaml and
//     managedservices.yaml).
//   - BP: the EKS Best Practices Guide (docs.aws.amazon.com/eks/latest/best-practices/), the page
//     named in each row by its file name under that address; the pages themselves could not be
//     opened from here (no internet), so the names are the guide's, not a quotation of it.
//   - Peers: terraform-aws-modules/eks v21, /vpc v6.6.0 and /ecr v3.2.0 defaults, as cited beside
//     the code that follows them (infra/cluster_security.go, infra/network.go, infra/registry.go).
type baselineControl struct {
	control string
	source  string
	// departs names the shipped stacks that depart from the control on purpose, each with the
	// reason its stack file gives: the check must find the departure there (so each check can
	// fail), and nothing anywhere else.
	departs map[string]string
	// check returns what breaks the control in a stack's recording.
	check func(rec *offline.Recording, cfg stacks.Config) []string
}

// baselineControls is one row per control of the security review the prod stack must pass.
var baselineControls = []baselineControl{
	{
		control: "API endpoint: private access on; public access off or limited to listed ranges, none of them the whole internet",
		source:  "CIS 5.4.1, 5.4.2; BP identity-and-access-management.html \"Make the EKS Cluster Endpoint private\"; terraform-aws-modules/eks v21 endpoint_public_access = false",
		departs: map[string]string{"dev": "a demo stack whose file lists 0.0.0.0/0 (plans warn)"},
		check: func(rec *offline.Recording, _ stacks.Config) (bad []string) {
			in := eksComponent(rec).Inputs
			if in["endpointPrivateAccess"] != true {
				bad = append(bad, "private endpoint off")
			}
			if in["endpointPublicAccess"] == false {
				return bad
			}
			cidrs, _ := in["publicAccessCidrs"].([]any)
			if len(cidrs) == 0 {
				bad = append(bad, "public endpoint with no CIDRs: EKS opens it to 0.0.0.0/0")
			}
			for _, c := range cidrs {
				if p, err := netip.ParsePrefix(str(c)); err != nil || p.Bits() == 0 {
					bad = append(bad, fmt.Sprintf("public endpoint open to %v", c))
				}
			}
			return bad
		},
	},
	{
		control: "Kubernetes secrets envelope-encrypted with a customer managed KMS key, rotation on",
		source:  "CIS 5.3.1; BP data-encryption-and-secrets-management.html; AWS Prescriptive Guidance, encryption best practices for Amazon EKS; terraform-aws-modules/eks v21 create_kms_key = true, enable_kms_key_rotation = true",
		check: func(rec *offline.Recording, _ stacks.Config) (bad []string) {
			keyArn := str(eksComponent(rec).Inputs["encryptionConfigKeyArn"])
			if keyArn == "" {
				return []string{"no encryptionConfigKeyArn"}
			}
			for _, k := range byType(rec, typeKMSKey) {
				if strings.HasSuffix(keyArn, ":key/"+k.ID) {
					if k.Inputs["enableKeyRotation"] != true {
						bad = append(bad, "the secrets key does not rotate")
					}
					return bad
				}
			}
			return []string{"encryptionConfigKeyArn " + keyArn + " is no key of the stack"}
		},
	},
	{
		control: "Control-plane logs: all five types, into a log group created before the cluster, with a retention",
		source:  "CIS 2.1.1 (api, audit, authenticator, controllerManager, scheduler); terraform-aws-modules/eks v21 cloudwatch_log_group_retention_in_days = 90",
		check: func(rec *offline.Recording, cfg stacks.Config) (bad []string) {
			eks := eksComponent(rec)
			types, _ := eks.Inputs["enabledClusterLogTypes"].([]any)
			for _, want := range []string{"api", "audit", "authenticator", "controllerManager", "scheduler"} {
				if !slices.Contains(types, any(want)) {
					bad = append(bad, "log type "+want+" off")
				}
			}
			g, ok := named(rec, typeLogGroup, "name", infra.ClusterLogGroupName(cfg.Cluster.Name))
			switch {
			case !ok:
				bad = append(bad, "no log group "+infra.ClusterLogGroupName(cfg.Cluster.Name)+": EKS would create one that never expires")
			case !slices.Contains(eks.Depends, g.URN):
				bad = append(bad, "the cluster does not wait for its log group")
			case number(g.Inputs["retentionInDays"]) <= 0:
				bad = append(bad, "the control-plane log group never expires")
			}
			return bad
		},
	},
	{
		control: "VPC flow logs to CloudWatch Logs, with a retention, through a role only VPC Flow Logs of this account may assume",
		source:  "BP network-security.html \"Log network traffic metadata\"; CIS AWS Foundations Benchmark v3.0.0 3.7; terraform-aws-modules/vpc v6.6.0 flow_log_traffic_type = ALL",
		check: func(rec *offline.Recording, cfg stacks.Config) (bad []string) {
			vpcs := byType(rec, typeVpc)
			for _, vpc := range vpcs {
				found := false
				for _, fl := range byType(rec, typeFlowLog) {
					if fl.Inputs["vpcId"] != vpc.ID {
						continue
					}
					found = true
					if fl.Inputs["logDestinationType"] != "cloud-watch-logs" {
						bad = append(bad, fmt.Sprintf("flow log destination %v", fl.Inputs["logDestinationType"]))
					}
					if g, ok := logGroupByArn(rec, cfg, str(fl.Inputs["logDestination"])); !ok || number(g.Inputs["retentionInDays"]) <= 0 {
						bad = append(bad, "the flow logs' log group is not the stack's or never expires")
					}
					role, ok := roleByArn(rec, str(fl.Inputs["iamRoleArn"]))
					if !ok || !strings.Contains(str(role.Inputs["assumeRolePolicy"]), "aws:SourceAccount") {
						bad = append(bad, "the flow log role is not the stack's or lacks the aws:SourceAccount condition")
					}
				}
				if !found {
					bad = append(bad, "no flow log on "+vpc.Name)
				}
			}
			if len(vpcs) == 0 {
				bad = append(bad, "no VPC")
			}
			return bad
		},
	},
	{
		control: "Image repository: immutable tags, scan on push, a lifecycle policy; no workload runs :latest",
		source:  "BP image-security.html (immutable tags, lifecycle policies); CIS 5.1.1 (ECR scanning); terraform-aws-modules/ecr v3.2.0 repository_image_tag_mutability = IMMUTABLE",
		departs: map[string]string{"dev": "its file sets a MUTABLE repository so a rebuilt worker can be pushed under the same tag"},
		check: func(rec *offline.Recording, _ stacks.Config) (bad []string) {
			for _, repo := range byType(rec, typeECRRepo) {
				if repo.Inputs["imageTagMutability"] != "IMMUTABLE" {
					bad = append(bad, fmt.Sprintf("repository %s: tags %v", repo.Name, repo.Inputs["imageTagMutability"]))
				}
				if scan, _ := repo.Inputs["imageScanningConfiguration"].(map[string]any); scan["scanOnPush"] != true {
					bad = append(bad, "repository "+repo.Name+": no scan on push")
				}
				if _, ok := named(rec, typeLifecyclePolicy, "repository", repo.ID); !ok {
					bad = append(bad, "repository "+repo.Name+": no lifecycle policy")
				}
			}
			for _, d := range byType(rec, typeDeployment) {
				for _, c := range podSpec(d)["containers"].([]any) {
					if img := str(c.(map[string]any)["image"]); strings.HasSuffix(img, ":latest") || !strings.Contains(img, ":") {
						bad = append(bad, "deployment "+d.Name+" runs "+img)
					}
				}
			}
			return bad
		},
	},
	{
		control: "Pod Security Standards enforced, audited and warned at a pinned version on every namespace the stack creates; restricted for workloads",
		source:  "CIS 4.2.1-4.2.5; BP pod-security.html (Pod Security Standards); kubernetes.io/docs/concepts/security/pod-security-standards",
		check: func(rec *offline.Recording, cfg stacks.Config) (bad []string) {
			workloadNS := map[string]bool{}
			for _, w := range cfg.Workloads {
				workloadNS[w.Namespace] = true
			}
			for _, ns := range byType(rec, typeNamespace) {
				labels := strMap(metadata(ns)["labels"])
				name := str(metadata(ns)["name"])
				for _, mode := range []string{"enforce", "audit", "warn"} {
					level, version := labels["pod-security.kubernetes.io/"+mode], labels["pod-security.kubernetes.io/"+mode+"-version"]
					switch {
					case level == "" || version == "" || version == "latest":
						bad = append(bad, fmt.Sprintf("namespace %s: %s %q at version %q", name, mode, level, version))
					case workloadNS[name] && level != "restricted":
						bad = append(bad, fmt.Sprintf("workload namespace %s: %s %s", name, mode, level))
					}
				}
			}
			return bad
		},
	},
	{
		control: "NetworkPolicy: every workload namespace denies all ingress and egress but what a rule allows; the VPC CNI enforces policies",
		source:  "CIS 4.3.1, 4.3.2, 5.4.4; BP network-security.html (default deny, VPC CNI network policies)",
		check: func(rec *offline.Recording, cfg stacks.Config) (bad []string) {
			for _, w := range cfg.Workloads {
				found := false
				for _, np := range byType(rec, typeNetworkPolicy) {
					spec := specOf(np)
					sel, _ := spec["podSelector"].(map[string]any)
					if str(metadata(np)["namespace"]) == w.Namespace && len(sel) == 0 &&
						slices.Contains(spec["policyTypes"].([]any), any("Ingress")) && slices.Contains(spec["policyTypes"].([]any), any("Egress")) {
						found = true
						if spec["ingress"] != nil {
							bad = append(bad, "namespace "+w.Namespace+": the default policy admits ingress")
						}
					}
				}
				if !found {
					bad = append(bad, "namespace "+w.Namespace+": no default-deny NetworkPolicy over every pod for ingress and egress")
				}
			}
			if a, ok := named(rec, typeAddon, "addonName", "vpc-cni"); !ok || !strings.Contains(strings.ReplaceAll(str(a.Inputs["configurationValues"]), " ", ""), `"enableNetworkPolicy":"true"`) {
				bad = append(bad, "the vpc-cni add-on does not enforce network policies")
			}
			return bad
		},
	},
	{
		control: "No Kubernetes API token in pods that do not call the API (the workers; IRSA's token is a separate projected volume)",
		source:  "CIS 4.1.6 \"Ensure that Service Account Tokens are only mounted where necessary\"",
		check: func(rec *offline.Recording, _ stacks.Config) (bad []string) {
			for _, d := range byType(rec, typeDeployment) {
				if podSpec(d)["automountServiceAccountToken"] != false {
					bad = append(bad, "deployment "+d.Name+" mounts a service account token")
				}
			}
			return bad
		},
	},
	{
		control: "No IAM role that nothing uses: pulumi-eks creates no instance role, and every role of the stack is named by a resource other than its own policies",
		source:  "BP identity-and-access-management.html (least privilege); pulumi-eks 2.8.1 cluster.js (an instance role unless instanceRoles is given)",
		check: func(rec *offline.Recording, _ stacks.Config) (bad []string) {
			if roles, ok := eksComponent(rec).Inputs["instanceRoles"].([]any); !ok || len(roles) > 0 {
				bad = append(bad, fmt.Sprintf("pulumi-eks instanceRoles %v: it creates an instance role and an EC2_LINUX access entry", eksComponent(rec).Inputs["instanceRoles"]))
			}
			for _, role := range byType(rec, typeRole) {
				if !roleUsed(rec, role) {
					bad = append(bad, "role "+role.Name+" is used by nothing")
				}
			}
			return bad
		},
	},
	{
		control: "The node role holds no AmazonSSMManagedInstanceCore (a stack that sets karpenter.nodeClass.ssmManagedInstanceCore departs)",
		source:  "BP protecting-the-infrastructure.html (minimise access to nodes); Karpenter's reference CloudFormation attaches it (tests/reference_karpenter_test.go: where we depart)",
		check: func(rec *offline.Recording, _ stacks.Config) (bad []string) {
			for _, a := range byType(rec, typeRoleAttachment) {
				if strings.HasSuffix(str(a.Inputs["policyArn"]), "/AmazonSSMManagedInstanceCore") {
					bad = append(bad, "attachment "+a.Name+" gives the nodes SSM's broad ssm:GetParameter* on *")
				}
			}
			return bad
		},
	},
	{
		control: "Deletion guard: the cluster, its secrets key, the VPC and the work queues are protected",
		source:  "the team's baseline (DESIGN.md section 6): prod protects what runs pods and holds data",
		departs: map[string]string{"dev": "a demo stack that destroy removes whole"},
		check: func(rec *offline.Recording, _ stacks.Config) (bad []string) {
			guarded := []offline.Resource{eksComponent(rec)}
			for _, typ := range []string{typeKMSKey, typeVpc, typeSQSQueue} {
				for _, r := range byType(rec, typ) {
					// The cluster's key (not the alarm topic's), the work queues and DLQs (not
					// Karpenter's interruption queue, whose events are minutes old at most).
					if (typ != typeKMSKey || strings.HasPrefix(r.Name, "cluster-")) && (typ != typeSQSQueue || strings.Contains(r.Parent, queue.TypeToken)) {
						guarded = append(guarded, r)
					}
				}
			}
			for _, r := range guarded {
				if !r.Protect {
					bad = append(bad, r.Type+" "+r.Name+" is not protected")
				}
			}
			return bad
		},
	},
}

// TestSecurityBaseline reviews each shipped stack's recording control by control: prod passes
// every row; a stack departs from a row only where the row says so, and there the check finds
// the departure (so no row's check is one that cannot fail).
func TestSecurityBaseline(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		rec, cfg := stackRun(t, stack), stackConfig(t, stack)
		for _, c := range baselineControls {
			bad := c.check(rec, cfg)
			why, departs := c.departs[stack]
			switch {
			case departs && len(bad) == 0:
				t.Errorf("%s: %s is said to depart (%s) but passes: the row's check or its departure is wrong", stack, c.control, why)
			case !departs && len(bad) > 0:
				t.Errorf("%s fails %q (%s):\n  %s", stack, c.control, c.source, strings.Join(bad, "\n  "))
			}
		}
	})
	for _, c := range baselineControls {
		if _, ok := c.departs["prod"]; ok {
			t.Errorf("prod may not depart from %q", c.control)
		}
	}
}

// TestSecurityBaselineChecksFail edits prod back to what the program did before its baseline,
// one control at a time, and expects exactly that row to fail.
func TestSecurityBaselineChecksFail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		control string
		edit    map[string]string
	}{
		{"API endpoint", map[string]string{"eventscale:cluster": `{"publicAccessCidrs":["0.0.0.0/0"],"protect":true}`}},
		{"Control-plane logs", map[string]string{"eventscale:cluster": `{"publicAccessCidrs":["192.0.2.0/24"],"protect":true,"logTypes":["api","audit","authenticator"]}`}},
		{"VPC flow logs", map[string]string{"eventscale:network": `{"vpcCidr":"10.20.0.0/16","natGateways":"onePerAz","protect":true,"flowLogs":{"enabled":false}}`}},
		{"Image repository", map[string]string{"eventscale:registry": `{"imageTagMutability":"MUTABLE"}`}},
		{"The node role", map[string]string{"eventscale:karpenter": `{"replicas":2,"nodeClass":{"amiAlias":"al2023@v20260903","rootVolumeSize":"50Gi","ssmManagedInstanceCore":true}}`}},
		{"Deletion guard", map[string]string{"eventscale:cluster": `{"publicAccessCidrs":["192.0.2.0/24"]}`}},
	}
	for _, c := range cases {
		t.Run(c.control, func(t *testing.T) {
			t.Parallel()
			r := runPipelineCase(t, pipelineCase{name: "baseline-" + c.control, stack: "prod", edits: c.edit})
			var failed []string
			for _, row := range baselineControls {
				if len(row.check(r.rec, r.cfg)) > 0 {
					failed = append(failed, row.control)
				}
			}
			if len(failed) != 1 || !strings.HasPrefix(failed[0], c.control) {
				t.Errorf("prod edited to break %q fails the rows %q, want that row only", c.control, failed)
			}
		})
	}
}

// eksComponent is the stack's pulumi-eks cluster.
func eksComponent(rec *offline.Recording) offline.Resource {
	for _, r := range byType(rec, "eks:index:Cluster") {
		return r
	}
	return offline.Resource{Inputs: map[string]any{}}
}

// named is the first resource of typ whose input key equals value.
func named(rec *offline.Recording, typ, key, value string) (offline.Resource, bool) {
	for _, r := range byType(rec, typ) {
		if str(r.Inputs[key]) == value {
			return r, true
		}
	}
	return offline.Resource{}, false
}

func metadata(r offline.Resource) map[string]any {
	m, _ := r.Inputs["metadata"].(map[string]any)
	return m
}

func podSpec(d offline.Resource) map[string]any {
	tpl, _ := specOf(d)["template"].(map[string]any)
	spec, _ := tpl["spec"].(map[string]any)
	return spec
}

func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	case int:
		return float64(n)
	}
	return 0
}

// logGroupByArn is the stack's log group with that ARN.
func logGroupByArn(rec *offline.Recording, cfg stacks.Config, arn string) (offline.Resource, bool) {
	for _, g := range byType(rec, typeLogGroup) {
		if infra.LogGroupArn("aws", cfg.Region, offline.AccountID, str(g.Inputs["name"])) == arn {
			return g, true
		}
	}
	return offline.Resource{}, false
}

// roleByArn is the stack's role with that ARN.
func roleByArn(rec *offline.Recording, arn string) (offline.Resource, bool) {
	for _, r := range byType(rec, typeRole) {
		if "arn:aws:iam::"+offline.AccountID+":role/"+r.ID == arn {
			return r, true
		}
	}
	return offline.Resource{}, false
}

// roleUsed: the role's name, ARN or URN appears in the inputs of a resource that is not one of
// its own policies or attachments (a Fargate profile, a flow log, a service account's IRSA
// annotation, a chart's values, an EC2NodeClass, pulumi-eks' serviceRole, ...).
func roleUsed(rec *offline.Recording, role offline.Resource) bool {
	arn := "arn:aws:iam::" + offline.AccountID + ":role/" + role.ID
	for _, r := range rec.Resources {
		switch r.Type {
		case typeRole, typeRolePolicy, typeRoleAttachment, typePolicy:
			continue
		}
		b, _ := json.Marshal(r.Inputs)
		s := string(b)
		if strings.Contains(s, arn) || strings.Contains(s, `"`+role.URN+`"`) || strings.Contains(s, `"`+role.ID+`"`) {
			return true
		}
	}
	return false
}
