package tests

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/reference"
	"github.com/eventscale/eventscale/internal/stacktest"
)

// readCloudFormation returns Karpenter's getting-started CloudFormation template from the
// upstream data beside the team's checkout (internal/reference), or skips the test: the template
// is not in the karpenter-provider-aws module zip, so a user's clone has no copy of it; every
// chart and CRD comes from Go modules instead.
func readCloudFormation(t *testing.T) []byte {
	t.Helper()
	return reference.Read(t, "karpenter/cloudformation.yaml", fmt.Sprintf(
		"the comparison of the program's Karpenter IAM and queue resources with Karpenter %s's getting-started "+
			"CloudFormation template, aws/karpenter-provider-aws@v%s's website/content/en/docs/getting-started/"+
			"getting-started-with-karpenter/cloudformation.yaml", infra.KarpenterVersion, infra.KarpenterVersion))
}

// cfnTemplate is the upstream CloudFormation template, with short tags (!Sub, !Ref, !GetAtt)
// dropped: a tagged scalar becomes its plain text, so placeholders stay in ${...} form.
type cfnTemplate struct {
	Resources map[string]struct {
		Type       string
		Properties map[string]any
	}
}

func plainYAML(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		return plainYAML(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plainYAML(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			out = append(out, plainYAML(c))
		}
		return out
	case yaml.AliasNode:
		return plainYAML(n.Alias)
	}
	return n.Value // every scalar as its text, whatever its tag
}

func loadCFN(t *testing.T) cfnTemplate {
	t.Helper()
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(readCloudFormation(t), &root))
	b, err := json.Marshal(plainYAML(&root))
	require.NoError(t, err)
	var tpl cfnTemplate
	require.NoError(t, json.Unmarshal(b, &tpl))
	require.NotEmpty(t, tpl.Resources)
	return tpl
}

// sub resolves the template's ${...} placeholders for this stack.
func sub(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	out := regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(s, func(m string) string {
		v, ok := vars[m[2:len(m)-1]]
		if !ok {
			t.Errorf("reference template uses %s, which this test does not resolve", m)
		}
		return v
	})
	return out
}

// normalize makes policy documents comparable: single strings become one-element lists, lists
// become sorted sets, for Action, Resource, principals and condition values alike.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		var ss []string
		for _, e := range x {
			ss = append(ss, fmt.Sprint(e))
		}
		sort.Strings(ss)
		return ss
	case string:
		return []string{x}
	case bool:
		return []string{fmt.Sprint(x)}
	}
	return v
}

func statementsBySid(t *testing.T, doc string) map[string]map[string]any {
	t.Helper()
	var d struct{ Statement []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(doc), &d), doc)
	out := map[string]map[string]any{}
	for i, s := range d.Statement {
		sid, _ := s["Sid"].(string)
		if sid == "" {
			sid = fmt.Sprintf("#%d", i)
		}
		delete(s, "Sid")
		out[sid] = normalize(s).(map[string]any)
	}
	return out
}

// TestKarpenterIAMMatchesReference compares every controller policy, statement by statement
// (Sid, Effect, Action, Resource, Condition), with the upstream Karpenter v1.14 CloudFormation
// template resolved for this stack, and the node role, interruption queue and rules with it too.
func TestKarpenterIAMMatchesReference(t *testing.T) {
	t.Parallel()
	tpl := loadCFN(t)
	stacktest.Each(t, func(t *testing.T, stack string) {
		k := karpenterStack(t, stack)
		vars := map[string]string{
			"AWS::Partition": "aws", "AWS::Region": k.cfg.Region, "AWS::AccountId": offline.AccountID, "AWS::URLSuffix": "amazonaws.com",
			"ClusterName": k.cfg.Cluster.Name, "KarpenterNodeRole.Arn": k.nodeRoleArn, "KarpenterInterruptionQueue.Arn": k.queueArn,
		}

		ours := map[string]infra.NamedPolicy{}
		for _, p := range infra.KarpenterControllerPolicies(infra.KarpenterScope{}) {
			ours[p.Name] = p
		}
		var refPolicies []string
		for name, r := range tpl.Resources {
			if r.Type != "AWS::IAM::ManagedPolicy" {
				continue
			}
			refPolicies = append(refPolicies, name)
			p, ok := ours[name]
			if !assert.True(t, ok, "the reference has managed policy %s; the program does not", name) {
				continue
			}
			want := statementsBySid(t, sub(t, r.Properties["PolicyDocument"].(string), vars))
			got := statementsBySid(t, str(one(t, k.rec, typePolicy, "karpenter-controller-"+p.Key).Inputs["policy"]))
			assert.ElementsMatch(t, slices.Collect(mapKeys(want)), slices.Collect(mapKeys(got)), "%s: statement ids", name)
			for sid, w := range want {
				g := got[sid]
				assert.Equal(t, w["Effect"], g["Effect"], "%s %s: Effect", name, sid)
				assert.Equal(t, w["Action"], g["Action"], "%s %s: Action (no action the reference lacks, none missing)", name, sid)
				assert.Equal(t, w["Resource"], g["Resource"], "%s %s: Resource", name, sid)
				assert.Equal(t, w["Condition"], g["Condition"], "%s %s: Condition", name, sid)
				assert.Equal(t, w, g, "%s %s", name, sid)
			}
		}
		assert.ElementsMatch(t, refPolicies, slices.Collect(mapKeys(ours)), "one program policy per reference managed policy")

		// Node role: trust and managed policies.
		node := tpl.Resources["KarpenterNodeRole"].Properties
		wantTrust, err := json.Marshal(node["AssumeRolePolicyDocument"])
		require.NoError(t, err)
		assert.Equal(t, statementsBySid(t, sub(t, string(wantTrust), vars)),
			statementsBySid(t, str(one(t, k.rec, typeRole, "karpenter-node-role").Inputs["assumeRolePolicy"])), "node role trust")
		// Where the program departs from the reference: the reference attaches
		// AmazonSSMManagedInstanceCore to every node role; the program only with
		// karpenter.nodeClass.ssmManagedInstanceCore (off by default: infra.KarpenterNodeSSMPolicy).
		ssm := infra.ManagedPolicyArn("aws", infra.KarpenterNodeSSMPolicy.Name)
		var wantArns, gotArns []string
		for _, a := range node["ManagedPolicyArns"].([]any) {
			wantArns = append(wantArns, sub(t, a.(string), vars))
		}
		assert.Contains(t, wantArns, ssm, "the reference attaches SSM to the node role (the departure documented in infra.KarpenterNodeSSMPolicy)")
		for _, p := range infra.KarpenterNodeManagedPolicies(k.cfg.Karpenter.NodeClass.SSMManagedInstanceCore) {
			gotArns = append(gotArns, str(one(t, k.rec, typeRoleAttachment, "karpenter-node-role-"+p.Key).Inputs["policyArn"]))
		}
		assert.False(t, k.cfg.Karpenter.NodeClass.SSMManagedInstanceCore, "the shipped stacks leave SSM off")
		assert.ElementsMatch(t, slices.DeleteFunc(wantArns, func(a string) bool { return a == ssm }), gotArns,
			"node role managed policies: the reference's, without SSM")

		// Interruption queue and its policy.
		qRef := tpl.Resources["KarpenterInterruptionQueue"].Properties
		q := one(t, k.rec, typeSQSQueue, "karpenter-interruption-queue")
		assert.Equal(t, qRef["MessageRetentionPeriod"], fmt.Sprint(q.Inputs["messageRetentionSeconds"]))
		assert.Equal(t, qRef["SqsManagedSseEnabled"], fmt.Sprint(q.Inputs["sqsManagedSseEnabled"]))
		qpRef := tpl.Resources["KarpenterInterruptionQueuePolicy"].Properties["PolicyDocument"].(map[string]any)
		// !GetAtt KarpenterInterruptionQueue.Arn reads as the plain text "KarpenterInterruptionQueue.Arn".
		b, err := json.Marshal(qpRef)
		require.NoError(t, err)
		refQP := strings.ReplaceAll(string(b), `"KarpenterInterruptionQueue.Arn"`, `"`+k.queueArn+`"`)
		refQP = strings.ReplaceAll(refQP, `"Principal":"*"`, `"Principal":{"AWS":"*"}`) // the same principal
		want := statementsBySid(t, refQP)
		got := statementsBySid(t, str(one(t, k.rec, typeQueuePolicy, "karpenter-interruption-queue-policy").Inputs["policy"]))
		assert.Equal(t, want["DenyHTTP"], got["DenyHTTP"], "DenyHTTP statement")
		assert.Equal(t, want["#0"], got["EC2InterruptionPolicy"], "send statement (the reference has no Sid; ours is its policy Id)")

		// EventBridge rules: the same patterns, each targeting the queue.
		var wantPatterns, gotPatterns []string
		for _, r := range tpl.Resources {
			if r.Type != "AWS::Events::Rule" {
				continue
			}
			pb, err := json.Marshal(normalize(r.Properties["EventPattern"]))
			require.NoError(t, err)
			wantPatterns = append(wantPatterns, string(pb))
			targets := r.Properties["Targets"].([]any)
			require.Len(t, targets, 1)
			assert.Equal(t, "KarpenterInterruptionQueue.Arn", targets[0].(map[string]any)["Arn"])
		}
		for _, r := range infra.KarpenterInterruptionRules {
			var p map[string]any
			require.NoError(t, json.Unmarshal([]byte(str(one(t, k.rec, typeEventRule, "karpenter-"+r.Key).Inputs["eventPattern"])), &p))
			pb, err := json.Marshal(normalize(p))
			require.NoError(t, err)
			gotPatterns = append(gotPatterns, string(pb))
			assert.Equal(t, k.queueArn, one(t, k.rec, typeEventTarget, "karpenter-"+r.Key).Inputs["arn"])
		}
		assert.ElementsMatch(t, wantPatterns, gotPatterns, "event patterns")
	})
}

func mapKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
