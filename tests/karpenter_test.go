package tests

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eventscale/eventscale/components/karpenter"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
)

// karpenterRun is a recorded stack with the facts the Karpenter tests compare against.
type karpenterRun struct {
	rec  *offline.Recording
	cfg  stacks.Config
	comp string // URN of the Karpenter component
	// Names and ARNs the mocks computed.
	nodeRoleName, nodeRoleArn, controllerRoleArn, queueName, queueArn, queueURL string
}

func karpenterFacts(t *testing.T, rec *offline.Recording, cfg stacks.Config) karpenterRun {
	t.Helper()
	k := karpenterRun{rec: rec, cfg: cfg, comp: urnOf(t, rec, karpenter.TypeToken, "karpenter")}
	acct, region := offline.AccountID, cfg.Region
	k.nodeRoleName = one(t, rec, typeRole, "karpenter-node-role").ID
	k.nodeRoleArn = "arn:aws:iam::" + acct + ":role/" + k.nodeRoleName
	k.controllerRoleArn = "arn:aws:iam::" + acct + ":role/" + one(t, rec, typeRole, "karpenter-controller-role").ID
	k.queueURL = one(t, rec, typeSQSQueue, "karpenter-interruption-queue").ID
	k.queueName = k.queueURL[strings.LastIndex(k.queueURL, "/")+1:]
	k.queueArn = "arn:aws:sqs:" + region + ":" + acct + ":" + k.queueName
	return k
}

func karpenterStack(t *testing.T, stack string) karpenterRun {
	t.Helper()
	return karpenterFacts(t, stackRun(t, stack), stackConfig(t, stack))
}

// runEdited runs the dev stack with some config keys replaced.
func runEdited(t *testing.T, edits map[string]string) (karpenterRun, error) {
	t.Helper()
	return runStackEdited(t, "dev", func(raw map[string]string) {
		for k, v := range edits {
			raw[k] = v
		}
	})
}

// runStackEdited runs a shipped stack with its config map changed by edit.
func runStackEdited(t *testing.T, stack string, edit func(raw map[string]string)) (karpenterRun, error) {
	t.Helper()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi." + stack + ".yaml")
	require.NoError(t, err)
	edit(raw)
	rec, err := offline.Run(stack, raw, offline.Options{})
	if err != nil {
		return karpenterRun{rec: rec}, err
	}
	cfg, err := stacks.Load(raw, offline.Project, stack)
	require.NoError(t, err)
	return karpenterFacts(t, rec, cfg), nil
}

func TestKarpenterResourcesAndParents(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		k := karpenterStack(t, stack)
		comp := one(t, k.rec, karpenter.TypeToken, "karpenter")
		assert.False(t, comp.Custom)
		assert.True(t, strings.HasSuffix(comp.Parent, "pulumi:pulumi:Stack::eventscale-"+stack), "component at the stack root, got parent %q", comp.Parent)

		want := map[string][]string{
			typeRole:           {"karpenter-node-role", "karpenter-controller-role"},
			typeRoleAttachment: {"karpenter-node-role-worker", "karpenter-node-role-cni", "karpenter-node-role-ecr-pull"},
			typeAccessEntry:    {"karpenter-node-access-entry"},
			typeSQSQueue:       {"karpenter-interruption-queue"},
			typeQueuePolicy:    {"karpenter-interruption-queue-policy"},
			typeChart:          {"karpenter"},
			typeNodeClass:      {"karpenter-nodeclass"},
			typeNodePool:       {"karpenter-nodepool"},
		}
		for _, r := range infra.KarpenterInterruptionRules {
			want[typeEventRule] = append(want[typeEventRule], "karpenter-"+r.Key)
			want[typeEventTarget] = append(want[typeEventTarget], "karpenter-"+r.Key)
		}
		for _, p := range infra.KarpenterControllerPolicies(infra.KarpenterScope{}) {
			want[typePolicy] = append(want[typePolicy], "karpenter-controller-"+p.Key)
			want[typeRoleAttachment] = append(want[typeRoleAttachment], "karpenter-controller-"+p.Key)
		}
		// prod allows spot, so it creates the account's spot service-linked role too.
		spot := k.cfg.Karpenter.SpotServiceLinkedRoleWanted()
		assert.Equal(t, stack == "prod", spot, "only prod asks for spot")
		if spot {
			want[typeServiceLinked] = []string{"karpenter-spot-service-linked-role"}
		}
		total := 0
		for typ, names := range want {
			for _, n := range names {
				r := one(t, k.rec, typ, n)
				assert.Equal(t, k.comp, r.Parent, "%s %s is a child of the component", typ, n)
				total++
			}
		}
		children := 0
		for _, r := range k.rec.Resources {
			if r.Parent == k.comp {
				children++
			}
		}
		assert.Equal(t, total, children, "no unexpected children")
		if spot {
			assert.Equal(t, 34, total, "2 roles, 9 attachments, 6 policies, access entry, queue + policy, 5 rules + 5 targets, chart, 2 custom resources, spot role")
		} else {
			assert.Equal(t, 33, total, "2 roles, 9 attachments, 6 policies, access entry, queue + policy, 5 rules + 5 targets, chart, 2 custom resources")
		}
		// In kube-system (the default) there is no Namespace to create and no FlowSchema to add.
		assert.Equal(t, "kube-system", k.cfg.Karpenter.Namespace)
		assert.Empty(t, byType(k.rec, typeFlowSchema))

		prov := urnOf(t, k.rec, typeK8sProvider, "cluster-k8s")
		for _, typ := range []string{typeChart, typeNodeClass, typeNodePool} {
			for _, r := range byType(k.rec, typ) {
				assert.True(t, strings.HasPrefix(r.Provider, prov+"::"), "%s %s uses the cluster's provider, got %q", typ, r.Name, r.Provider)
			}
		}
	})
}

func TestKarpenterControllerTrustIsExact(t *testing.T) {
	t.Parallel()
	k := karpenterStack(t, "dev")
	role := one(t, k.rec, typeRole, "karpenter-controller-role")
	issuer := "oidc.eks." + k.cfg.Region + ".amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{
		"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::`+offline.AccountID+`:oidc-provider/`+issuer+`"},
		"Action":["sts:AssumeRoleWithWebIdentity"],
		"Condition":{"StringEquals":{
			"`+issuer+`:sub":"system:serviceaccount:kube-system:karpenter",
			"`+issuer+`:aud":"sts.amazonaws.com"}}}]}`, str(role.Inputs["assumeRolePolicy"]))
	assert.NotContains(t, str(role.Inputs["assumeRolePolicy"]), "https://", "the issuer URL's scheme is stripped")
	assert.NotContains(t, str(role.Inputs["assumeRolePolicy"]), "pods.eks.amazonaws.com", "Fargate: IRSA only, no Pod Identity")

	// A different namespace and service account move the trust's subject, the chart's service
	// account and the namespace together.
	e, err := runEdited(t, map[string]string{
		"eventscale:karpenter": `{"namespace":"autoscaler","serviceAccount":"karpenter-controller"}`,
		"eventscale:fargate":   `{"namespaces":["kube-system","autoscaler","keda"]}`,
	})
	require.NoError(t, err)
	trust := decodePolicy(t, one(t, e.rec, typeRole, "karpenter-controller-role").Inputs["assumeRolePolicy"])
	assert.Equal(t, "system:serviceaccount:autoscaler:karpenter-controller", trust.Statement[0].Condition["StringEquals"][issuer+":sub"])
	chart := one(t, e.rec, typeChart, "karpenter")
	assert.Equal(t, "autoscaler", chart.Inputs["namespace"])
	assert.Equal(t, "karpenter-controller", offline.Lookup(chart.Inputs["values"], "serviceAccount", "name"))
	assert.Equal(t, "autoscaler", offline.Lookup(one(t, e.rec, typeNamespace, "karpenter-namespace").Inputs, "metadata", "name"))
	for _, fs := range byType(e.rec, typeFlowSchema) {
		assert.Equal(t, []any{map[string]any{"kind": "ServiceAccount", "serviceAccount": map[string]any{"namespace": "autoscaler", "name": "karpenter-controller"}}},
			offline.Lookup(offline.Lookup(fs.Inputs, "spec", "rules").([]any)[0], "subjects"), fs.Name)
	}
}

// TestKarpenterNamespaceAndFlowSchemas: the component owns the controller's namespace only when
// Kubernetes does not create it itself, and adds upstream's FlowSchemas outside kube-system,
// before the chart.
func TestKarpenterNamespaceAndFlowSchemas(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		namespace   string
		ownsNS      bool
		flowSchemas bool
	}{
		{"kube-system", false, false},
		{"karpenter", true, true},
		{"default", false, true},
	} {
		t.Run(tc.namespace, func(t *testing.T) {
			t.Parallel()
			fargate := `["kube-system","keda"]`
			if tc.namespace != "kube-system" {
				fargate = `["kube-system","` + tc.namespace + `","keda"]`
			}
			e, err := runEdited(t, map[string]string{
				"eventscale:karpenter": `{"namespace":"` + tc.namespace + `"}`,
				"eventscale:fargate":   `{"namespaces":` + fargate + `}`,
			})
			require.NoError(t, err)
			prov := urnOf(t, e.rec, typeK8sProvider, "cluster-k8s")
			chart := one(t, e.rec, typeChart, "karpenter")
			assert.Equal(t, tc.namespace, chart.Inputs["namespace"])

			for _, ns := range byType(e.rec, typeNamespace) {
				assert.False(t, infra.IsSystemNamespace(str(offline.Lookup(ns.Inputs, "metadata", "name"))),
					"%s creates (and on destroy deletes) system namespace %v", ns.Name, offline.Lookup(ns.Inputs, "metadata", "name"))
			}
			if tc.ownsNS {
				ns := one(t, e.rec, typeNamespace, "karpenter-namespace")
				assert.Equal(t, tc.namespace, offline.Lookup(ns.Inputs, "metadata", "name"))
				assert.Equal(t, e.comp, ns.Parent)
				assert.True(t, strings.HasPrefix(ns.Provider, prov+"::"))
				assert.Contains(t, chart.Depends, ns.URN, "the chart installs into the namespace after it exists")
				labels := map[string]string{}
				for k, v := range offline.Lookup(ns.Inputs, "metadata", "labels").(map[string]any) {
					labels[k] = str(v)
				}
				assert.Equal(t, infra.PodSecurityLabels(infra.KarpenterPodSecurityLevel), labels, "a namespace the stack creates is labelled")
			} else {
				for _, ns := range byType(e.rec, typeNamespace) {
					assert.NotEqual(t, "karpenter-namespace", ns.Name)
				}
			}

			fss := byType(e.rec, typeFlowSchema)
			if !tc.flowSchemas {
				assert.Empty(t, fss)
				return
			}
			want := infra.KarpenterFlowSchemas(tc.namespace, "karpenter")
			require.Len(t, fss, len(want))
			for i, name := range []string{"karpenter-flowschema-leader-election", "karpenter-flowschema-workload"} {
				fs := one(t, e.rec, typeFlowSchema, name)
				assert.Equal(t, e.comp, fs.Parent)
				assert.True(t, strings.HasPrefix(fs.Provider, prov+"::"), "%s uses the cluster's provider", name)
				b, err := json.Marshal(want[i])
				require.NoError(t, err)
				got, err := json.Marshal(withoutPatchForce(t, fs.Inputs))
				require.NoError(t, err)
				assert.JSONEq(t, string(b), string(got), "%s is exactly infra.KarpenterFlowSchemas", name)
				assert.Contains(t, chart.Depends, fs.URN, "the controller starts after its FlowSchemas (and on destroy goes before them)")
				assert.Empty(t, fs.Depends, "a FlowSchema needs only the provider")
			}
		})
	}
}

func TestKarpenterControllerPolicies(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		k := karpenterStack(t, stack)
		scope := infra.KarpenterScope{
			Partition: "aws", Region: k.cfg.Region, AccountID: offline.AccountID, ClusterName: k.cfg.Cluster.Name,
			NodeRoleArn: k.nodeRoleArn, InterruptionQueueArn: k.queueArn,
		}
		for _, p := range infra.KarpenterControllerPolicies(scope) {
			pol := one(t, k.rec, typePolicy, "karpenter-controller-"+p.Key)
			assert.JSONEq(t, p.Document.JSON(), str(pol.Inputs["policy"]), p.Name)
			assert.Less(t, len(str(pol.Inputs["policy"])), infra.ManagedPolicyMaxChars, p.Name)
			att := one(t, k.rec, typeRoleAttachment, "karpenter-controller-"+p.Key)
			assert.Equal(t, "arn:aws:iam::"+offline.AccountID+":policy/"+pol.ID[strings.LastIndex(pol.ID, "/")+1:], att.Inputs["policyArn"])
			assert.Equal(t, one(t, k.rec, typeRole, "karpenter-controller-role").ID, att.Inputs["role"], "%s attached to the controller role", p.Name)
		}
		all := ""
		for _, r := range byType(k.rec, typePolicy) {
			all += str(r.Inputs["policy"])
		}
		assert.Contains(t, all, `"Resource":["`+k.nodeRoleArn+`"]`, "PassRole scoped to the node role")
		assert.Contains(t, all, `"Resource":["`+k.queueArn+`"]`, "queue actions scoped to the interruption queue")
		assert.Contains(t, all, "aws:ResourceTag/kubernetes.io/cluster/"+k.cfg.Cluster.Name)
	})
}

func TestKarpenterNodeRole(t *testing.T) {
	t.Parallel()
	k := karpenterStack(t, "dev")
	role := one(t, k.rec, typeRole, "karpenter-node-role")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole"]}]}`,
		str(role.Inputs["assumeRolePolicy"]))
	var arns []string
	for _, p := range infra.KarpenterNodePolicies {
		att := one(t, k.rec, typeRoleAttachment, "karpenter-node-role-"+p.Key)
		assert.Equal(t, k.nodeRoleName, att.Inputs["role"])
		arns = append(arns, str(att.Inputs["policyArn"]))
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
		"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
	}, arns)

	entry := one(t, k.rec, typeAccessEntry, "karpenter-node-access-entry")
	assert.Equal(t, "EC2_LINUX", entry.Inputs["type"])
	assert.Equal(t, k.nodeRoleArn, entry.Inputs["principalArn"])
	assert.Equal(t, k.cfg.Cluster.Name, entry.Inputs["clusterName"])
	assert.NotContains(t, entry.Inputs, "kubernetesGroups", "EC2_LINUX entries get their groups from EKS")
}

func TestKarpenterInterruptionQueueAndRules(t *testing.T) {
	t.Parallel()
	k := karpenterStack(t, "dev")
	q := one(t, k.rec, typeSQSQueue, "karpenter-interruption-queue")
	assert.EqualValues(t, 300, q.Inputs["messageRetentionSeconds"])
	assert.Equal(t, true, q.Inputs["sqsManagedSseEnabled"])
	assert.NotContains(t, q.Inputs, "kmsMasterKeyId", "SSE-SQS: EventBridge could not use a KMS key without a key policy")

	qp := one(t, k.rec, typeQueuePolicy, "karpenter-interruption-queue-policy")
	assert.Equal(t, k.queueURL, qp.Inputs["queueUrl"])
	doc := decodePolicy(t, qp.Inputs["policy"])
	require.Len(t, doc.Statement, 2)
	allow, deny := doc.Statement[0], doc.Statement[1]
	assert.Equal(t, "Allow", allow.Effect)
	assert.Equal(t, []string{"sqs:SendMessage"}, allow.Action)
	assert.ElementsMatch(t, []any{"events.amazonaws.com", "sqs.amazonaws.com"}, allow.Principal["Service"])
	assert.Equal(t, []string{k.queueArn}, allow.Resource)
	assert.Equal(t, "DenyHTTP", deny.Sid)
	assert.Equal(t, "Deny", deny.Effect)
	assert.Equal(t, []string{"sqs:*"}, deny.Action)
	assert.Equal(t, "false", deny.Condition["Bool"]["aws:SecureTransport"])
	assert.Equal(t, []string{k.queueArn}, deny.Resource)

	patterns := map[string]string{}
	for _, r := range infra.KarpenterInterruptionRules {
		rule := one(t, k.rec, typeEventRule, "karpenter-"+r.Key)
		var p map[string][]string
		require.NoError(t, json.Unmarshal([]byte(str(rule.Inputs["eventPattern"])), &p))
		require.Len(t, p["detail-type"], 1, "pattern key is literally detail-type: %v", rule.Inputs["eventPattern"])
		require.Len(t, p["source"], 1)
		patterns[p["detail-type"][0]] = p["source"][0]

		target := one(t, k.rec, typeEventTarget, "karpenter-"+r.Key)
		assert.Equal(t, k.queueArn, target.Inputs["arn"], "%s targets the interruption queue", r.Key)
		assert.Equal(t, rule.ID, target.Inputs["rule"], "target of rule %s", r.Key)
		assert.Contains(t, target.Depends, qp.URN, "EventBridge may send only once the queue policy exists")
	}
	assert.Equal(t, map[string]string{
		"AWS Health Event":                                       "aws.health",
		"EC2 Spot Instance Interruption Warning":                 "aws.ec2",
		"EC2 Instance Rebalance Recommendation":                  "aws.ec2",
		"EC2 Instance State-change Notification":                 "aws.ec2",
		"EC2 Capacity Reservation Instance Interruption Warning": "aws.ec2",
	}, patterns)
}

func TestKarpenterChart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stack    string
		replicas int64
	}{{"dev", 1}, {"prod", 2}} {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()
			k := karpenterStack(t, tc.stack)
			chart := one(t, k.rec, typeChart, "karpenter")
			assert.True(t, chart.Remote, "helm/v4 Chart is a provider-implemented component")
			in := chart.Inputs
			assert.Equal(t, "oci://public.ecr.aws/karpenter/karpenter", in["chart"])
			// The program asks for its pin; the verify tier checks it against the published
			// release (the karpenter-provider-aws module go.mod requires).
			assert.Equal(t, infra.KarpenterVersion, in["version"])
			assert.Equal(t, infra.KarpenterReleaseName, in["name"], "explicit release name: stable fullname")
			assert.Equal(t, k.cfg.Karpenter.Namespace, in["namespace"])
			assert.NotContains(t, in, "skipCrds", "the chart installs (and upgrades) the CRDs")

			v := in["values"]
			assert.Equal(t, k.cfg.Cluster.Name, offline.Lookup(v, "settings", "clusterName"))
			assert.Equal(t, "https://EXAMPLE0123456789.gr7."+k.cfg.Region+".eks.amazonaws.com", offline.Lookup(v, "settings", "clusterEndpoint"))
			assert.Equal(t, k.queueName, offline.Lookup(v, "settings", "interruptionQueue"), "the queue NAME, not its URL or ARN")
			assert.Equal(t, k.controllerRoleArn, offline.Lookup(v, "serviceAccount", "annotations", "eks.amazonaws.com/role-arn"))
			assert.Equal(t, k.cfg.Karpenter.ServiceAccount, offline.Lookup(v, "serviceAccount", "name"))
			assert.Equal(t, tc.replicas, offline.Lookup(v, "replicas"))
			assert.Equal(t, "Default", offline.Lookup(v, "dnsPolicy"))
			res := map[string]any{"cpu": k.cfg.Karpenter.ControllerCPU, "memory": k.cfg.Karpenter.ControllerMemory}
			assert.Equal(t, res, offline.Lookup(v, "controller", "resources", "requests"))
			assert.Equal(t, res, offline.Lookup(v, "controller", "resources", "limits"), "requests = limits: Fargate sizes the pod by them")
			assert.Equal(t, []any{map[string]any{"name": "AWS_REGION", "value": k.cfg.Region}}, offline.Lookup(v, "controller", "env"))
			assert.Equal(t, map[string]any{"tag": infra.KarpenterControllerImage.Tag, "digest": infra.KarpenterControllerImage.Digest}, offline.Lookup(v, "controller", "image"), "image pinned by tag and digest of one published release")
			assert.Equal(t, "ScheduleAnyway", offline.Lookup(offline.Lookup(v, "topologySpreadConstraints").([]any)[0], "whenUnsatisfiable"), "zone spread never blocks a Fargate pod")
		})
	}
}

func TestKarpenterOrdering(t *testing.T) {
	t.Parallel()
	k := karpenterStack(t, "dev")
	u := func(typ, name string) string { return urnOf(t, k.rec, typ, name) }
	chart := one(t, k.rec, typeChart, "karpenter")
	nodeClass := one(t, k.rec, typeNodeClass, "karpenter-nodeclass")
	nodePool := one(t, k.rec, typeNodePool, "karpenter-nodepool")

	assert.Contains(t, nodePool.Depends, nodeClass.URN, "NodePool after EC2NodeClass, and deleted before it")
	assert.Contains(t, nodePool.Depends, chart.URN, "NodePool after the chart's CRDs")
	assert.Contains(t, nodeClass.Depends, chart.URN, "EC2NodeClass after the chart's CRDs")
	assert.NotContains(t, nodeClass.Depends, nodePool.URN)

	// The chart needs Fargate (and CoreDNS) to schedule its pods, its namespace, and the
	// controller's permissions; so on destroy those outlive the controller.
	for _, dep := range []string{
		u("aws:eks/fargateProfile:FargateProfile", "cluster-fargate-system"),
		u("aws:eks/addon:Addon", "cluster-coredns"),
		u(typeRole, "karpenter-controller-role"),
		u(typeSQSQueue, "karpenter-interruption-queue"),
	} {
		assert.Contains(t, chart.Depends, dep)
	}
	for _, p := range infra.KarpenterControllerPolicies(infra.KarpenterScope{}) {
		assert.Contains(t, chart.Depends, u(typeRoleAttachment, "karpenter-controller-"+p.Key), "chart waits for %s", p.Name)
	}
	// Nodes can join only with the node role's policies and access entry; keep them until the
	// EC2NodeClass (and so every node) is gone.
	assert.Contains(t, nodeClass.Depends, u(typeAccessEntry, "karpenter-node-access-entry"))
	for _, p := range infra.KarpenterNodePolicies {
		assert.Contains(t, nodeClass.Depends, u(typeRoleAttachment, "karpenter-node-role-"+p.Key))
	}
}

// TestKarpenterSpotServiceLinkedRole: a stack whose NodePool allows spot (prod) creates the
// account's EC2 Spot service-linked role once, for spot.amazonaws.com, retained on delete (other
// stacks and users of spot in the account rely on it), untagged (it is the account's), and the
// NodePool waits for it, so Karpenter launches no spot before it exists. An on-demand stack (dev)
// creates none; the key overrides the default either way.
func TestKarpenterSpotServiceLinkedRole(t *testing.T) {
	t.Parallel()
	setKey := func(value string) func(map[string]string) {
		return func(raw map[string]string) {
			section := map[string]any{}
			if v, ok := raw["eventscale:karpenter"]; ok {
				require.NoError(t, json.Unmarshal([]byte(v), &section))
			}
			section["createSpotServiceLinkedRole"] = json.RawMessage(value)
			b, err := json.Marshal(section)
			require.NoError(t, err)
			raw["eventscale:karpenter"] = string(b)
		}
	}
	for _, c := range []struct {
		name, stack string
		edit        func(map[string]string)
		want        bool
	}{
		{"prod: spot allowed", "prod", func(map[string]string) {}, true},
		{"dev: on-demand only", "dev", func(map[string]string) {}, false},
		{"prod, the key false (the role exists already)", "prod", setKey("false"), false},
		{"prod, the key null (the default)", "prod", setKey("null"), true},
		{"dev, the key true", "dev", setKey("true"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k, err := runStackEdited(t, c.stack, c.edit)
			require.NoError(t, err)
			roles := byType(k.rec, typeServiceLinked)
			if !c.want {
				assert.Empty(t, roles)
				return
			}
			require.Len(t, roles, 1, "exactly one spot service-linked role")
			r := roles[0]
			assert.Equal(t, "karpenter-spot-service-linked-role", r.Name)
			assert.Equal(t, map[string]any{"awsServiceName": "spot.amazonaws.com"}, r.Inputs, "the spot service, no tags, no suffix")
			assert.True(t, r.RetainOnDelete, "destroy leaves the account's role")
			assert.False(t, r.Protect, "retained, not protected: destroy of the stack still completes")
			assert.Equal(t, k.comp, r.Parent)
			assert.Equal(t, "arn:aws:iam::"+offline.AccountID+":role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot", r.ID)
			assert.Contains(t, one(t, k.rec, typeNodePool, "karpenter-nodepool").Depends, r.URN, "the NodePool waits for the role")
		})
	}
}

func TestKarpenterNodeObjects(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		k := karpenterStack(t, stack)
		p, n := k.cfg.Karpenter.NodePool, k.cfg.Karpenter.NodeClass

		nc := one(t, k.rec, typeNodeClass, "karpenter-nodeclass")
		assert.Equal(t, "karpenter.k8s.aws/v1", nc.Inputs["apiVersion"])
		assert.Equal(t, "EC2NodeClass", nc.Inputs["kind"])
		assert.Equal(t, n.Name, offline.Lookup(nc.Inputs, "metadata", "name"))
		ncSpec := specOf(nc)
		assert.Equal(t, k.nodeRoleName, ncSpec["role"], "role = the node role's name")
		assert.NotContains(t, ncSpec, "instanceProfile", "exactly one of role and instanceProfile")
		assert.Equal(t, []any{map[string]any{"alias": n.AmiAlias}}, ncSpec["amiSelectorTerms"])
		discovery := []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": k.cfg.Cluster.Name}}}
		assert.Equal(t, discovery, ncSpec["subnetSelectorTerms"])
		assert.Equal(t, discovery, ncSpec["securityGroupSelectorTerms"])
		assert.Equal(t, map[string]any{"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": int64(1), "httpTokens": "required"},
			ncSpec["metadataOptions"])
		assert.Equal(t, []any{map[string]any{"deviceName": "/dev/xvda", "rootVolume": true, "ebs": map[string]any{
			"volumeSize": n.RootVolumeSize, "volumeType": "gp3", "encrypted": true, "deleteOnTermination": true}}}, ncSpec["blockDeviceMappings"])
		tags := strMap(ncSpec["tags"])
		assert.Equal(t, stack, tags["eventscale:stack"], "nodes carry the stack's tags")
		assert.Equal(t, "karpenter", tags["managed-by"], "nodes are managed by Karpenter, not Pulumi")
		for key, v := range k.cfg.Tags {
			assert.Equal(t, v, tags[key])
		}
		for key := range tags {
			assert.Empty(t, infra.RestrictedNodeTag(key), "restricted node tag %s", key)
		}

		np := one(t, k.rec, typeNodePool, "karpenter-nodepool")
		assert.Equal(t, "karpenter.sh/v1", np.Inputs["apiVersion"])
		assert.Equal(t, "NodePool", np.Inputs["kind"])
		assert.Equal(t, p.Name, offline.Lookup(np.Inputs, "metadata", "name"))
		npSpec := specOf(np)
		assert.Equal(t, map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": n.Name}, offline.Lookup(npSpec, "template", "spec", "nodeClassRef"))
		assert.Equal(t, p.ExpireAfter, offline.Lookup(npSpec, "template", "spec", "expireAfter"))
		assert.Equal(t, map[string]any{"cpu": p.LimitCPU, "memory": p.LimitMemory}, npSpec["limits"], "limits are plain strings")
		assert.Equal(t, map[string]any{"consolidationPolicy": p.ConsolidationPolicy, "consolidateAfter": p.ConsolidateAfter,
			"budgets": []any{map[string]any{"nodes": p.DisruptionBudgetNodes}}}, npSpec["disruption"])
		reqs := map[string]map[string]any{}
		for _, r := range offline.Lookup(npSpec, "template", "spec", "requirements").([]any) {
			m := r.(map[string]any)
			reqs[str(m["key"])] = m
		}
		in := func(vals []string) map[string]any {
			out := []any{}
			for _, v := range vals {
				out = append(out, v)
			}
			return map[string]any{"operator": "In", "values": out}
		}
		check := func(key string, want map[string]any) {
			t.Helper()
			got := reqs[key]
			require.NotNil(t, got, "requirement %s", key)
			assert.Equal(t, want["operator"], got["operator"], key)
			assert.Equal(t, want["values"], got["values"], key)
		}
		check("kubernetes.io/arch", in(p.Architectures))
		check("kubernetes.io/os", in([]string{"linux"}))
		check("karpenter.sh/capacity-type", in(p.CapacityTypes))
		switch stack {
		case "dev":
			check("node.kubernetes.io/instance-type", in([]string{"m6i.large", "m5.large"}))
			assert.NotContains(t, reqs, "karpenter.k8s.aws/instance-category")
			assert.NotContains(t, reqs, "karpenter.k8s.aws/instance-generation")
			assert.NotContains(t, reqs, "karpenter.k8s.aws/instance-cpu", "dev keeps the tutorial's two 2-vCPU types, unbounded")
			assert.Equal(t, "al2023@latest", n.AmiAlias)
		case "prod":
			assert.NotContains(t, reqs, "node.kubernetes.io/instance-type", "prod picks from families, not a fixed list")
			check("karpenter.sh/capacity-type", in([]string{"spot", "on-demand"}))
			check("karpenter.k8s.aws/instance-category", in([]string{"c", "m", "r"}))
			check("karpenter.k8s.aws/instance-generation", map[string]any{"operator": "Gt", "values": []any{"5"}})
			// At most 8 vCPUs per node: Lt is exclusive and takes one integer as a string.
			require.NotNil(t, p.MaxInstanceCPU, "Pulumi.prod.yaml bounds the instance size")
			assert.Equal(t, 8, *p.MaxInstanceCPU)
			check("karpenter.k8s.aws/instance-cpu", map[string]any{"operator": "Lt", "values": []any{"9"}})
			assert.Regexp(t, `^al2023@v\d{8}$`, n.AmiAlias, "prod pins the AMI")
		}
		assert.Len(t, reqs, len(offline.Lookup(npSpec, "template", "spec", "requirements").([]any)), "one requirement per key")
	})
}

func TestKarpenterBottlerocketDataVolume(t *testing.T) {
	t.Parallel()
	k, err := runEdited(t, map[string]string{"eventscale:karpenter": `{"nodeClass":{"amiAlias":"bottlerocket@latest","rootVolumeSize":"40Gi"}}`})
	require.NoError(t, err)
	devices := specOf(one(t, k.rec, typeNodeClass, "karpenter-nodeclass"))["blockDeviceMappings"].([]any)
	require.Len(t, devices, 2)
	assert.Equal(t, "/dev/xvdb", offline.Lookup(devices[1], "deviceName"))
	assert.Equal(t, "40Gi", offline.Lookup(devices[1], "ebs", "volumeSize"))
	assert.Equal(t, true, offline.Lookup(devices[1], "rootVolume"))
}

func TestKarpenterExports(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Names(t) {
		k := karpenterStack(t, stack)
		o := k.rec.Outputs
		assert.Equal(t, k.controllerRoleArn, o["karpenterControllerRoleArn"], stack)
		assert.Equal(t, k.nodeRoleName, o["karpenterNodeRoleName"], stack)
		assert.Equal(t, k.queueName, o["karpenterInterruptionQueueName"], stack)
		assert.Equal(t, k.cfg.Karpenter.NodePool.Name, o["karpenterNodePoolName"], stack)
		assert.Equal(t, k.cfg.Karpenter.NodeClass.Name, o["karpenterNodeClassName"], stack)
		for _, key := range []string{"karpenterControllerRoleArn", "karpenterNodeRoleName", "karpenterInterruptionQueueName", "karpenterNodePoolName", "karpenterNodeClassName"} {
			assert.False(t, k.rec.SecretOutputs[key], key)
		}
	}
}

// TestKarpenterDefaultsScenario checks the arithmetic behind the dev defaults: a 1 vCPU / 3Gi
// worker fits once per node of the allowed instance types, and the NodePool's CPU limit admits
// exactly two such nodes, so a third replica stays Pending. Node overheads follow Karpenter's
// AL2023 model (kube-reserved CPU 6% of the first core + 1% of the second; the VPC CNI and
// kube-proxy DaemonSets request 25m and 100m).
func TestKarpenterDefaultsScenario(t *testing.T) {
	t.Parallel()
	cfg := stackConfig(t, "dev")
	shapes := map[string]struct{ milliCPU, memMi int64 }{
		"m6i.large": {2000, 8192},
		"m5.large":  {2000, 8192},
	}
	p := cfg.Karpenter.NodePool
	require.NotEmpty(t, p.InstanceTypes)
	require.Len(t, cfg.Workloads, 1)
	w := cfg.Workloads[0]
	podCPU := resource.MustParse(w.CPU)
	podMem := resource.MustParse(w.Memory)
	limitCPU := resource.MustParse(p.LimitCPU)
	limitMem := resource.MustParse(p.LimitMemory)
	for _, it := range p.InstanceTypes {
		s, ok := shapes[it]
		require.True(t, ok, "instance type %s has no shape in this test: add it", it)
		allocCPU := s.milliCPU - 60 - 10 - 25 - 100
		perNodeByCPU := allocCPU / podCPU.MilliValue()
		// Memory: 7.5% VM overhead, kube-reserved 255Mi + 11Mi per pod (29 pods), 100Mi eviction.
		allocMem := int64(float64(s.memMi)*(1-0.075)) - (255 + 11*29) - 100
		perNodeByMem := allocMem / (podMem.Value() >> 20)
		assert.EqualValues(t, 1, min(perNodeByCPU, perNodeByMem), "%s holds exactly one worker pod", it)
		nodes := limitCPU.MilliValue() / s.milliCPU
		assert.EqualValues(t, 2, nodes, "the CPU limit admits exactly two %s nodes", it)
		capMem := int64(math.Floor(float64(s.memMi) * (1 - 0.075)))
		assert.LessOrEqual(t, 2*capMem, limitMem.Value()>>20, "the memory limit does not bind before the CPU limit")
	}
	assert.Equal(t, 2, w.MaxReplicas, "two replicas, two nodes")
}

// TestKarpenterBoundarySizesAccepted runs the program on the largest names and a size in Ti that
// are still valid. The rejected ones are table cases of stacks.TestValidateRejects, which do not
// need the program (one whole-program rejection is TestInvalidConfigRegistersNothing).
func TestKarpenterBoundarySizesAccepted(t *testing.T) {
	t.Parallel()
	// Still valid: sizes in G/Ti and a 63-character name.
	_, err := runEdited(t, map[string]string{"eventscale:karpenter": `{"nodePool":{"name":"` + strings.Repeat("a", 63) + `"},"nodeClass":{"rootVolumeSize":"1Ti"}}`})
	assert.NoError(t, err)
}
