package infra

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PolicyDocument is an IAM policy or trust policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument. Action and Resource are always lists
// (IAM accepts a list wherever it accepts a single string), which keeps comparisons simple.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]any            `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// IAM policy language version used by every document.
const policyVersion = "2012-10-17"

// NewPolicy returns a document with the given statements.
func NewPolicy(statements ...Statement) PolicyDocument {
	return PolicyDocument{Version: policyVersion, Statement: statements}
}

// JSON renders the document as compact JSON, the form IAM and Pulumi take.
func (d PolicyDocument) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("infra: marshalling policy document: %v", err)) // only plain strings and maps: cannot fail
	}
	return string(b)
}

// ServiceTrust is a trust policy letting an AWS service principal (e.g. "ec2.amazonaws.com")
// assume the role, optionally restricted by conditions.
func ServiceTrust(service string, condition map[string]map[string]any) PolicyDocument {
	return NewPolicy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    []string{"sts:AssumeRole"},
		Condition: condition,
	})
}

// OIDCIssuer strips the scheme from an OIDC provider URL: IAM condition keys are written as
// "<issuer host/path>:sub", and the aws_iam_openid_connect_provider url may or may not carry "https://".
func OIDCIssuer(url string) string {
	return strings.TrimPrefix(strings.TrimPrefix(url, "https://"), "http://")
}

// IRSATrust is the trust policy of an IAM role for a Kubernetes service account (IRSA): the
// cluster's OIDC provider may assume it for exactly system:serviceaccount:<namespace>:<serviceAccount>
// with audience sts.amazonaws.com.
func IRSATrust(oidcProviderArn, oidcProviderURL, namespace, serviceAccount string) PolicyDocument {
	issuer := OIDCIssuer(oidcProviderURL)
	return NewPolicy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Federated": oidcProviderArn},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]any{
			"StringEquals": {
				issuer + ":sub": ServiceAccountSubject(namespace, serviceAccount),
				issuer + ":aud": "sts.amazonaws.com",
			},
		},
	})
}

// OIDCProviderArn is the ARN IAM gives the OpenID Connect provider of issuerURL (with or without
// "https://"): arn:<partition>:iam::<account>:oidc-provider/<issuer host and path>.
func OIDCProviderArn(partition, accountID, issuerURL string) string {
	return "arn:" + partition + ":iam::" + accountID + ":oidc-provider/" + strings.TrimPrefix(issuerURL, "https://")
}

// ServiceAccountSubject is the OIDC subject Kubernetes issues for a service account's tokens.
func ServiceAccountSubject(namespace, serviceAccount string) string {
	return "system:serviceaccount:" + namespace + ":" + serviceAccount
}

// FargatePodExecutionTrust lets EKS Fargate assume the pod execution role, for this cluster's
// Fargate profiles only (the confused-deputy guard AWS documents).
func FargatePodExecutionTrust(partition, region, accountID, clusterName string) PolicyDocument {
	return ServiceTrust("eks-fargate-pods.amazonaws.com", map[string]map[string]any{
		"ArnLike": {"aws:SourceArn": fmt.Sprintf("arn:%s:eks:%s:%s:fargateprofile/%s/*", partition, region, accountID, clusterName)},
	})
}

// ManagedPolicyArn is the ARN of an AWS managed policy in a partition.
func ManagedPolicyArn(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}
