package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
)

// Resource types the tests look up that no component of this module defines (the components'
// own types are their TypeToken constants).
const (
	typeRole           = "aws:iam/role:Role"
	typePolicy         = "aws:iam/policy:Policy"
	typeRolePolicy     = "aws:iam/rolePolicy:RolePolicy"
	typeRoleAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeServiceLinked  = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
	typeAccessEntry    = "aws:eks/accessEntry:AccessEntry"
	typeSQSQueue       = "aws:sqs/queue:Queue"
	typeQueuePolicy    = "aws:sqs/queuePolicy:QueuePolicy"
	typeEventRule      = "aws:cloudwatch/eventRule:EventRule"
	typeEventTarget    = "aws:cloudwatch/eventTarget:EventTarget"
	typeECRRepo        = "aws:ecr/repository:Repository"
	typeK8sProvider    = "pulumi:providers:kubernetes"
	typeChart          = "kubernetes:helm.sh/v4:Chart"
	typeNamespace      = "kubernetes:core/v1:Namespace"
	typeSA             = "kubernetes:core/v1:ServiceAccount"
	typeDeployment     = "kubernetes:apps/v1:Deployment"
	typeNetworkPolicy  = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	typeFlowSchema     = "kubernetes:flowcontrol.apiserver.k8s.io/v1:FlowSchema"
	typeNodeClass      = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
	typeNodePool       = "kubernetes:karpenter.sh/v1:NodePool"
	typeTriggerAuth    = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
	typeScaledObject   = "kubernetes:keda.sh/v1alpha1:ScaledObject"
)

func decodePolicy(t *testing.T, v any) infra.PolicyDocument {
	t.Helper()
	var d infra.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(str(v)), &d), "policy %v", v)
	return d
}

func specOf(r offline.Resource) map[string]any {
	m, _ := r.Inputs["spec"].(map[string]any)
	return m
}
